// Corpu's assignment pages. The hand-in form uploads each chosen file
// straight to the object store: the API gives a presigned URL (or one per
// part for a large file), an XMLHttpRequest PUTs the bytes with a progress
// bar, the API completes the upload, and the form carries the file's id. The
// form's key makes a second press hand in one version. The grading form
// shows the score the chosen rubric levels earn.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var lang = document.documentElement.lang || "id";

  function api(method, path, body) {
    var opts = {
      method: method, credentials: "same-origin",
      headers: { "X-CSRF-Token": csrf, "Accept-Language": lang, "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    };
    return fetch("/api/v1" + path, opts).then(function (res) {
      if (res.status !== 401) return res;
      // The access token expired: renew the session once and send again.
      return fetch("/session/renew", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" })
        .then(function (renewed) {
          if (renewed.status === 401) { location.href = "/sign-in?next=" + encodeURIComponent(location.pathname); throw new Error("signed out"); }
          return fetch("/api/v1" + path, opts);
        });
    }).then(function (res) {
      return res.json().catch(function () { return {}; }).then(function (b) {
        if (!res.ok) {
          var msg = b.detail || b.title || String(res.status);
          if (b.errors && b.errors.length) msg = b.errors.map(function (e) { return e.message; }).join("; ");
          throw new Error(msg);
        }
        return b;
      });
    });
  }

  // put sends bytes to a presigned URL, reporting progress; it resolves
  // with the object store's ETag (needed to complete an upload in parts).
  function put(url, headers, blob, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open("PUT", url);
      Object.keys(headers || {}).forEach(function (k) { xhr.setRequestHeader(k, headers[k]); });
      xhr.upload.onprogress = function (e) { if (e.lengthComputable) onProgress(e.loaded); };
      xhr.onload = function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.getResponseHeader("ETag") || "");
        else reject(new Error(String(xhr.status)));
      };
      xhr.onerror = function () { reject(new Error("network")); };
      xhr.send(blob);
    });
  }

  // --- file inputs that upload (the hand-in form, the grader's feedback files) ---
  // An <input type=file data-upload-list=ID data-field=NAME> uploads each
  // chosen file and adds a hidden NAME input with its id to its form; the
  // form's data-* attributes hold the texts.
  var uploading = 0;

  function uploader(input) {
    var form = input.form, list = document.getElementById(input.dataset.uploadList), t = form.dataset;

    function row(file) {
      var li = document.createElement("li");
      var label = document.createElement("span");
      label.textContent = file.name + " ";
      var bar = document.createElement("progress");
      bar.max = file.size || 1; bar.value = 0;
      bar.setAttribute("aria-label", t.uploading + " " + file.name);
      var state = document.createElement("span");
      state.className = "state";
      li.appendChild(label); li.appendChild(bar); li.appendChild(state);
      list.appendChild(li);
      return { li: li, bar: bar, state: state };
    }

    function fail(r, msg) {
      r.state.textContent = msg;
      r.state.className = "state state-refused";
      r.li.setAttribute("role", "alert");
    }

    function upload(file) {
      var r = row(file);
      if (+input.dataset.maxSize && file.size > +input.dataset.maxSize) { fail(r, t.tooLarge); return; }
      if (form.querySelectorAll('input[name="' + input.dataset.field + '"]').length + uploading >= +input.dataset.maxFiles) { fail(r, t.tooMany); return; }
      uploading++;
      r.state.textContent = t.uploading;
      r.state.className = "state state-waiting";
      api("POST", "/uploads", { purpose: "assignment_submission", filename: file.name,
        content_type: file.type || "application/octet-stream", size: file.size })
        .then(function (p) {
          if (!p.parts || !p.parts.length) {
            return put(p.url, p.headers, file, function (n) { r.bar.value = n; })
              .then(function () { return api("POST", "/uploads/" + p.upload_id + "/complete"); });
          }
          // A large file goes in parts, one after another.
          var done = [], sent = 0;
          return p.parts.reduce(function (chain, part) {
            return chain.then(function () {
              var start = (part.part_number - 1) * p.part_size;
              var blob = file.slice(start, Math.min(file.size, start + p.part_size));
              return put(part.url, {}, blob, function (n) { r.bar.value = sent + n; }).then(function (etag) {
                sent += blob.size; done.push({ part_number: part.part_number, etag: etag });
              });
            });
          }, Promise.resolve()).then(function () { return api("POST", "/uploads/" + p.upload_id + "/complete", { parts: done }); });
        })
        .then(function (f) {
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = input.dataset.field; hidden.value = f.file_id;
          form.appendChild(hidden);
          r.bar.value = r.bar.max;
          r.state.textContent = t.uploaded;
          r.state.className = "state state-saved";
        })
        .catch(function (e) { fail(r, e.message === "network" ? t.failed : e.message); })
        .then(function () { uploading--; });
    }

    input.addEventListener("change", function () {
      Array.prototype.forEach.call(input.files, upload);
      input.value = "";
    });
  }
  Array.prototype.forEach.call(document.querySelectorAll("input[type=file][data-upload-list]"), uploader);

  // A form waits for its uploads; a second press while sending does
  // nothing (and the hand-in's key would make it harmless anyway).
  Array.prototype.forEach.call(document.querySelectorAll("form[data-uploading]"), function (form) {
    var sending = false;
    form.addEventListener("submit", function (e) {
      if (uploading > 0 || sending) { e.preventDefault(); return; }
      sending = true;
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var state = form.querySelector(".submit-state");
      if (state) state.textContent = form.dataset.sending;
    });
  });

  // --- the grading form: the score the chosen levels earn ---
  var grade = document.getElementById("grade-form");
  var out = document.getElementById("score-value");
  if (grade && out) {
    var compute = function () {
      var sets = grade.querySelectorAll("fieldset.criterion");
      var sum = 0, chosen = 0;
      Array.prototype.forEach.call(sets, function (fs) {
        var c = fs.querySelector("input[type=radio]:checked");
        if (c) { chosen++; sum += parseFloat(c.dataset.points); }
      });
      var max = parseFloat(grade.dataset.max), rubricMax = parseFloat(grade.dataset.rubricMax);
      out.textContent = chosen === sets.length && rubricMax > 0 ? String(Math.round(sum / rubricMax * max * 1000) / 1000) : "–";
    };
    grade.addEventListener("change", compute);
    compute();
  }
})();
