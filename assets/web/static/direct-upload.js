// Corpu's file forms: a form with data-upload sends its file straight to
// the object store (POST /api/v1/uploads answers presigned URLs; the bytes
// go with XMLHttpRequest so the progress bar moves; 64 MiB and more go in
// parts), completes the upload, then calls the API named by data-then
// ("POST /api/v1/...") with the form's other fields and the file_id
// (data-upload="by-kind" takes the purpose from the form's kind: course_video
// or course_document). A 202
// answer with a job goes to data-next with {id} replaced; any other success
// reloads data-next or the page. A refused request shows its errors next to
// the fields, in the page's language.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var lang = document.documentElement.lang || "id";

  function api(method, path, body, retried) {
    return fetch(path, {
      method: method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": lang, "X-CSRF-Token": csrf },
      body: body === undefined ? undefined : JSON.stringify(body)
    }).then(function (res) {
      if (res.status === 401 && !retried) {
        // The access token expired: renew the session once and send again.
        return fetch("/session/renew", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
          .then(function (renewed) {
            if (renewed.status === 401) {
              location.href = "/sign-in?next=" + encodeURIComponent(location.pathname + location.search);
              return new Promise(function () {}); // leaving the page
            }
            return api(method, path, body, true);
          });
      }
      return res.text().then(function (text) {
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        return { status: res.status, ok: res.ok, body: data };
      });
    });
  }

  // put sends one slice to a presigned URL, reporting bytes sent.
  function put(url, blob, headers, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      Object.keys(headers || {}).forEach(function (h) {
        if (h.toLowerCase() !== "host" && h.toLowerCase() !== "content-length") xhr.setRequestHeader(h, headers[h]);
      });
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded); };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader("ETag") || "");
        else reject(new Error("PUT " + xhr.status));
      };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.send(blob);
    });
  }

  // send uploads a file for a purpose and resolves with the stored file.
  function send(file, purpose, orgId, onProgress) {
    var body = { purpose: purpose, filename: file.name, content_type: file.type || "application/octet-stream", size: file.size };
    if (orgId) body.org_id = orgId;
    return api("POST", "/api/v1/uploads", body).then(function (created) {
      if (!created.ok) throw created;
      var p = created.body, parts = p.parts || [];
      var done;
      if (parts.length === 0) {
        done = put(p.url, file, p.headers, function (n) { onProgress(n, file.size); }).then(function () { return {}; });
      } else {
        var sent = {}, etags = [];
        var total = function () { return Object.keys(sent).reduce(function (s, k) { return s + sent[k]; }, 0); };
        done = parts.reduce(function (chain, part) {
          return chain.then(function () {
            var from = (part.part_number - 1) * p.part_size;
            return put(part.url, file.slice(from, Math.min(from + p.part_size, file.size)), p.headers, function (n) {
              sent[part.part_number] = n; onProgress(total(), file.size);
            }).then(function (etag) { etags.push({ part_number: part.part_number, etag: etag }); });
          });
        }, Promise.resolve()).then(function () { return { parts: etags }; });
      }
      return done.then(function (completion) {
        onProgress(file.size, file.size);
        return api("POST", "/api/v1/uploads/" + p.upload_id + "/complete", completion);
      }).then(function (completed) {
        if (!completed.ok) throw completed;
        return completed.body;
      });
    });
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error[data-script]"), function (e) { e.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (e) { e.removeAttribute("aria-invalid"); e.removeAttribute("aria-describedby"); });
    var alert = form.querySelector("[data-role=alert]");
    if (alert) { alert.hidden = true; alert.textContent = ""; }
  }

  // showProblem puts a refusal's field errors next to their fields and the
  // rest above the form; never the raw document.
  function showProblem(form, problem) {
    var alert = form.querySelector("[data-role=alert]");
    var rest = [];
    var doc = problem && problem.body;
    if (doc && doc.errors) {
      doc.errors.forEach(function (fe) {
        var name = ["size", "content_type", "filename", "purpose", "file_id", "sha256"].indexOf(fe.field) >= 0 ? "file" : fe.field;
        var input = form.querySelector('[name="' + name + '"]');
        if (!input) { rest.push(fe.message); return; }
        var p = document.createElement("p");
        p.className = "field-error"; p.id = (input.id || name) + "-error"; p.dataset.script = "1"; p.textContent = fe.message;
        input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", p.id);
        input.insertAdjacentElement("afterend", p);
      });
    } else if (doc && (doc.detail || doc.title)) {
      rest.push(doc.detail || doc.title);
    } else {
      rest.push(form.dataset.failed);
    }
    if (rest.length && alert) { alert.textContent = rest.join(" "); alert.hidden = false; }
    var first = form.querySelector("[aria-invalid=true]") || alert;
    if (first) first.focus();
  }

  function fieldsOf(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "file" || el.name === "csrf_token" || el.disabled) return;
      if (el.type === "checkbox") { body[el.name] = el.checked; return; }
      if (el.type === "radio" && !el.checked) return;
      if (el.value === "") return;
      body[el.name] = el.dataset.type === "number" ? Number(el.value.replace(",", ".")) : el.value;
    });
    return body;
  }

  Array.prototype.forEach.call(document.querySelectorAll("form[data-upload]"), function (form) {
    var bar = form.querySelector("progress");
    var status = form.querySelector("[data-role=status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      clearErrors(form);
      var input = form.querySelector("input[type=file]");
      var file = input.files[0];
      if (!file) { showProblem(form, { body: { errors: [{ field: "file", message: form.dataset.noFile }] } }); return; }
      var orgField = form.querySelector('[name="org_id"]');
      var orgId = form.dataset.org || (orgField && orgField.value) || "";
      button.disabled = true;
      bar.hidden = false; bar.value = 0; bar.max = file.size || 1;
      status.textContent = form.dataset.sending;
      var purpose = form.dataset.upload;
      var kind = form.querySelector('[name="kind"]');
      if (purpose === "by-kind" && kind) purpose = "course_" + kind.value;
      send(file, purpose, orgId, function (n, total) {
        bar.max = total || 1; bar.value = n;
        status.textContent = form.dataset.sending + " " + Math.round(100 * n / (total || 1)) + "%";
      }).then(function (stored) {
        var then = form.dataset.then.split(" ");
        var body = fieldsOf(form);
        body.file_id = stored.file_id;
        status.textContent = form.dataset.saving;
        return api(then[0], then[1], body);
      }).then(function (res) {
        if (!res.ok) throw res;
        status.textContent = form.dataset.done;
        var next = form.dataset.next || location.pathname + location.search;
        if (res.body && res.body.id) next = next.replace("{id}", res.body.id);
        location.href = next;
      }).catch(function (problem) {
        button.disabled = false; bar.hidden = true; status.textContent = "";
        showProblem(form, problem instanceof Error ? null : problem);
      });
    });
  });
})();
