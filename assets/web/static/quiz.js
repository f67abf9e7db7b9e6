// Corpu's quiz page: every answer goes first into a queue in localStorage
// (per attempt, with the slot's sequence number), then to the API, one
// request at a time. A dropped connection leaves answers waiting; they are
// sent again when it is back, and a reload restores them. The server's seq
// rule (a newer seq wins, the same seq is a retry) makes resending safe.
(function () {
  "use strict";
  var form = document.getElementById("quiz");
  if (!form) return;
  var attempt = form.dataset.attempt;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var storeKey = "corpu.attempt." + attempt;
  var texts = form.dataset;
  var queue = load(); // slot -> {seq, response, state}
  var sending = false, submitting = false, retryTimer = null;

  function load() {
    try { return JSON.parse(localStorage.getItem(storeKey)) || {}; } catch (e) { return {}; }
  }
  function persist() {
    try { localStorage.setItem(storeKey, JSON.stringify(queue)); } catch (e) { /* private mode: memory only */ }
  }

  // --- the server's clock ---
  var clock = document.getElementById("clock");
  var offset = Date.parse(clock.dataset.serverNow) - Date.now();
  var deadline = clock.dataset.deadline ? Date.parse(clock.dataset.deadline) : null;
  var serverTime = document.getElementById("server-time");
  var remaining = document.getElementById("remaining");
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = new Date(Date.now() + offset);
    var wib = new Date(now.getTime() + 7 * 3600 * 1000);
    serverTime.textContent = pad(wib.getUTCHours()) + ":" + pad(wib.getUTCMinutes()) + ":" + pad(wib.getUTCSeconds()) + " WIB";
    if (deadline && remaining) {
      var left = Math.max(0, Math.floor((deadline - now.getTime()) / 1000));
      remaining.textContent = texts.left + " " + pad(Math.floor(left / 60)) + ":" + pad(left % 60);
    }
  }
  tick();
  setInterval(tick, 1000);

  // --- reading an answer from the inputs ---
  function question(slot) { return document.getElementById("q-" + slot); }
  function responseOf(q) {
    var slot = q.dataset.slot, type = q.dataset.type;
    var inputs = q.querySelectorAll('[name="slot-' + slot + '"]');
    var checked = Array.prototype.filter.call(inputs, function (i) { return i.checked; });
    switch (type) {
      case "single_choice": return checked.length ? { choice: checked[0].value } : null;
      case "multiple_choice": return { choices: checked.map(function (i) { return i.value; }) };
      case "true_false": return checked.length ? { value: checked[0].value === "true" } : null;
      case "short_answer": case "essay": return { text: inputs[0].value };
      case "numeric":
        var v = parseFloat(inputs[0].value.replace(",", "."));
        if (isNaN(v)) return null;
        var unit = q.querySelector('[name="slot-' + slot + '-unit"]');
        return unit ? { value: v, unit: unit.value } : { value: v };
      case "matching":
        var pairs = {};
        Array.prototype.forEach.call(inputs, function (s) { if (s.value) pairs[s.dataset.prompt] = s.value; });
        return { pairs: pairs };
      case "ordering":
        return { order: Array.prototype.map.call(q.querySelectorAll("li[data-id]"), function (li) { return li.dataset.id; }) };
    }
    return null;
  }

  function show(slot, state, detail) {
    var el = document.getElementById("state-" + slot);
    if (!el) return;
    el.className = "state state-" + state;
    el.textContent = texts[state] + (detail ? ": " + detail : "");
  }

  function record(q) {
    var slot = q.dataset.slot, response = responseOf(q);
    if (!response) return;
    var entry = queue[slot] || { seq: 0 };
    var seq = Math.max(entry.seq, parseInt(q.dataset.seq, 10) || 0) + 1;
    queue[slot] = { seq: seq, response: response, state: "waiting" };
    persist();
    show(slot, "waiting");
    flush();
  }

  // --- sending, one request at a time ---
  function api(method, path, body, headers) {
    headers = headers || {};
    headers["X-CSRF-Token"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    return fetch("/api/v1" + path, {
      method: method, headers: headers, credentials: "same-origin",
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      if (res.status !== 401) return res;
      // The access token expired: renew the session once and send again.
      return fetch("/session/renew", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then(function (renewed) {
          if (renewed.status === 401) {
            document.getElementById("session-ended").hidden = false;
            throw new Error("session ended");
          }
          return fetch("/api/v1" + path, { method: method, headers: headers, credentials: "same-origin",
            body: body === undefined ? undefined : JSON.stringify(body) });
        });
    });
  }

  function pending() {
    return Object.keys(queue).filter(function (slot) { return queue[slot].state === "waiting"; });
  }

  // retryLater sends again after what the server's Retry-After asked for
  // (3 s when it asked nothing, or the network failed) and up to as long
  // again, so the learners turned away together come back spread out.
  function retryLater(res) {
    var asked = res && parseInt(res.headers.get("Retry-After"), 10);
    var wait = (asked > 0 ? asked : 3) * 1000;
    if (!retryTimer) retryTimer = setTimeout(function () { retryTimer = null; flush(); }, wait + Math.random() * wait);
  }

  function flush() {
    if (sending) return;
    var slots = pending();
    if (!slots.length) { if (submitting) sendSubmit(); return; }
    sending = true;
    var slot = slots[0], entry = queue[slot];
    api("PUT", "/attempts/" + attempt + "/answers/" + slot, { seq: entry.seq, response: entry.response })
      .then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (body) { return { status: res.status, body: body, res: res }; });
      })
      .then(function (r) {
        sending = false;
        setOffline(false);
        var current = queue[slot];
        if (r.status === 200) {
          question(slot).dataset.seq = r.body.seq;
          if (current && current.seq === entry.seq) { current.state = "saved"; show(slot, "saved"); }
        } else if (r.status === 409 || r.status === 422 || r.status === 404 || r.status === 403) {
          // A stale seq (another tab saved a newer answer): the next change
          // must go above the stored seq to win.
          if (typeof r.body.seq === "number") question(slot).dataset.seq = r.body.seq;
          if (current && current.seq === entry.seq) { current.state = "refused"; show(slot, "refused", r.body.detail || r.body.title); }
          if (r.body.type && r.body.type.indexOf("attempt_closed") >= 0) closed();
        } else {
          retryLater(r.res); // 429, 5xx: the server will take it later
          return;
        }
        persist();
        flush();
      })
      .catch(function (e) {
        sending = false;
        if (e && e.message === "session ended") return; // kept here until the learner signs in again
        setOffline(true);
        retryLater();
      });
  }

  function setOffline(off) { document.getElementById("offline").hidden = !off; }

  function closed() {
    Array.prototype.forEach.call(form.querySelectorAll("input,select,textarea,button[data-move]"), function (el) { el.disabled = true; });
    document.getElementById("submit-state").textContent = texts.closed;
  }

  // --- submitting: after every waiting answer is sent, once ---
  function sendSubmit() {
    if (sending) return;
    sending = true;
    document.getElementById("submit-state").textContent = texts.submitting;
    // One key per attempt: a second press, a retry after a dropped
    // connection, or another tab all get the first submit's answer.
    api("POST", "/attempts/" + attempt + "/submit", undefined, { "Idempotency-Key": "submit-" + attempt })
      .then(function (res) {
        sending = false;
        if (res.ok || res.status === 409) {
          try { localStorage.removeItem(storeKey); } catch (e) { /* nothing kept */ }
          window.location.assign("/attempts/" + attempt);
          return;
        }
        if (res.status >= 500 || res.status === 429) { retryLater(res); return; }
        submitting = false;
        document.getElementById("submit").disabled = false;
        res.json().then(function (b) { document.getElementById("submit-state").textContent = b.detail || b.title; });
      })
      .catch(function (e) {
        sending = false;
        if (e && e.message === "session ended") return;
        setOffline(true);
        document.getElementById("submit-state").textContent = texts.pending;
        retryLater();
      });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    if (submitting) return; // pressed twice: the first press is under way
    submitting = true;
    document.getElementById("submit").disabled = true;
    document.getElementById("submit-state").textContent = pending().length ? texts.pending : texts.submitting;
    flush();
  });

  // --- wiring the inputs ---
  var typing = {};
  Array.prototype.forEach.call(form.querySelectorAll(".question[data-slot]"), function (q) {
    var slot = q.dataset.slot;
    q.addEventListener("change", function () { record(q); });
    q.addEventListener("input", function (ev) {
      if (ev.target.tagName !== "TEXTAREA" && ev.target.type !== "text") return;
      clearTimeout(typing[slot]);
      typing[slot] = setTimeout(function () { record(q); }, 1500);
    });
    q.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-move]");
      if (!b) return;
      var li = b.closest("li"), dir = parseInt(b.dataset.move, 10);
      var other = dir < 0 ? li.previousElementSibling : li.nextElementSibling;
      if (!other) return;
      li.parentNode.insertBefore(li, dir < 0 ? other : other.nextElementSibling);
      b.focus();
      record(q);
    });
    // An answer kept on this device that the server has not seen (newer
    // seq) is put back in the inputs and sent again.
    var kept = queue[slot];
    var serverSeq = parseInt(q.dataset.seq, 10) || 0;
    if (kept && kept.seq > serverSeq && kept.state !== "refused") {
      restore(q, kept.response);
      kept.state = "waiting";
      show(slot, "waiting");
    } else if (serverSeq > 0) {
      show(slot, "saved");
      if (kept && kept.seq <= serverSeq) delete queue[slot];
    }
  });
  persist();

  function restore(q, r) {
    var slot = q.dataset.slot;
    var inputs = q.querySelectorAll('[name="slot-' + slot + '"]');
    Array.prototype.forEach.call(inputs, function (i) {
      if (i.type === "radio" || i.type === "checkbox") {
        i.checked = r.choice === i.value || (r.choices || []).indexOf(i.value) >= 0 || String(r.value) === i.value;
      } else if (i.tagName === "SELECT" && i.dataset.prompt) {
        i.value = (r.pairs || {})[i.dataset.prompt] || "";
      } else if (r.text !== undefined) {
        i.value = r.text;
      } else if (r.value !== undefined) {
        i.value = r.value;
      }
    });
    var unit = q.querySelector('[name="slot-' + slot + '-unit"]');
    if (unit && r.unit !== undefined) unit.value = r.unit;
    if (r.order) {
      var list = q.querySelector("ol");
      r.order.forEach(function (id) {
        var li = list.querySelector('li[data-id="' + id + '"]');
        if (li) list.appendChild(li);
      });
    }
  }

  window.addEventListener("online", function () { setOffline(false); flush(); });
  window.addEventListener("offline", function () { setOffline(true); });
  flush();
}());
