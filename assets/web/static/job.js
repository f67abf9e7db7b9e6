// A running job's progress: every [data-job] element polls
// GET /api/v1/jobs/{id} (with the session cookie and the CSRF header),
// moves its <progress> and reloads the page once the job is over, so the
// server renders the result. Without the script the page says to reload.
(function () {
  "use strict";
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var final = { succeeded: true, failed: true, cancelled: true };
  Array.prototype.forEach.call(document.querySelectorAll("[data-job]"), function (box) {
    var bar = box.querySelector("progress"), text = box.querySelector("[data-role=count]");
    var wait = 1000;
    function poll() {
      fetch("/api/v1/jobs/" + box.dataset.job, { credentials: "same-origin", headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
        .then(function (res) {
          if (res.status === 401) {
            // The access token expired: renew it, or sign in again and come back.
            return fetch("/session/renew", { method: "POST", headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" }).then(function (renewed) {
              if (renewed.status === 401) location.href = "/sign-in?next=" + encodeURIComponent(location.pathname + location.search);
              return null;
            });
          }
          return res.ok ? res.json() : null;
        })
        .then(function (j) {
          if (j) {
            if (final[j.status]) { location.reload(); return; }
            if (j.progress && j.progress.total > 0) {
              bar.max = j.progress.total; bar.value = j.progress.done;
              if (text) text.textContent = j.progress.done + " / " + j.progress.total;
            }
          }
          wait = Math.min(wait * 1.5, 5000);
          setTimeout(poll, wait);
        })
        .catch(function () { setTimeout(poll, 5000); });
    }
    setTimeout(poll, wait);
  });
})();
