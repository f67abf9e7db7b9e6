// Corpu's gradebook page follows an export job it started: it asks the API
// every two seconds until the job is over, then offers the download.
(function () {
  "use strict";
  var box = document.getElementById("export-state");
  var wait = document.getElementById("export-wait");
  if (!box || !wait) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  function poll() {
    fetch("/api/v1/jobs/" + box.dataset.job, { credentials: "same-origin", headers: { "X-CSRF-Token": csrf } })
      .then(function (res) { return res.ok ? res.json() : null; })
      .then(function (j) {
        if (!j || j.status === "queued" || j.status === "running") { setTimeout(poll, 2000); return; }
        var p = document.createElement("p");
        p.setAttribute("role", "status");
        if (j.status === "succeeded") {
          p.className = "notice";
          p.textContent = box.dataset.ready + " ";
          var a = document.createElement("a");
          a.id = "export-download";
          a.href = "/classes/" + box.dataset.class + "/gradebook/exports/" + j.id;
          a.textContent = box.dataset.download;
          p.appendChild(a);
        } else {
          p.className = "alert";
          p.textContent = box.dataset.failed + " " + (j.error || "");
        }
        box.replaceChild(p, wait);
      })
      .catch(function () { setTimeout(poll, 4000); });
  }
  setTimeout(poll, 1000);
})();
