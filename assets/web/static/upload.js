// Corpu's API from pages' scripts, and files sent straight to the object
// store. Corpu.api calls the API with the session cookie and the CSRF
// header, renews an expired session once (or goes to sign-in and back) and
// resolves with {status, ok, body}. Corpu.sendFile asks the API for
// presigned URLs (POST /api/v1/uploads), PUTs the bytes with XMLHttpRequest
// so a progress bar can move (64 MiB and more go in parts, one after
// another), completes the upload and resolves with the stored file; a
// refusal rejects with the API's answer, a lost connection with
// Error("network").
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

  // put sends one slice to a presigned URL, reporting bytes sent; it
  // resolves with the object store's ETag (needed to complete parts).
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

  function sendFile(file, purpose, orgId, onProgress) {
    var body = { purpose: purpose, filename: file.name, content_type: file.type || "application/octet-stream", size: file.size };
    if (orgId) body.org_id = orgId;
    return api("POST", "/api/v1/uploads", body).then(function (created) {
      if (!created.ok) throw created;
      var p = created.body, parts = p.parts || [];
      var done;
      if (parts.length === 0) {
        done = put(p.url, file, p.headers, function (n) { onProgress(n, file.size); }).then(function () { return {}; });
      } else {
        var sent = 0, etags = [];
        done = parts.reduce(function (chain, part) {
          return chain.then(function () {
            var from = (part.part_number - 1) * p.part_size;
            var blob = file.slice(from, Math.min(from + p.part_size, file.size));
            return put(part.url, blob, p.headers, function (n) { onProgress(sent + n, file.size); })
              .then(function (etag) { sent += blob.size; etags.push({ part_number: part.part_number, etag: etag }); });
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

  // message is what a refusal says to a person: its field errors, its
  // detail or title, never the raw document.
  function message(problem, fallback) {
    var doc = problem && problem.body;
    if (doc && doc.errors && doc.errors.length) return doc.errors.map(function (e) { return e.message; }).join("; ");
    if (doc && (doc.detail || doc.title)) return doc.detail || doc.title;
    return fallback;
  }

  window.Corpu = { api: api, sendFile: sendFile, message: message };
})();
