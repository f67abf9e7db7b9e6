// Corpu's file forms: a form with data-upload sends its file straight to
// the object store (Corpu.sendFile in upload.js, which must load first),
// then calls the API named by data-then
// ("POST /api/v1/...") with the form's other fields and the file_id
// (data-upload="by-kind" takes the purpose from the form's kind: course_video
// or course_document). A 202
// answer with a job goes to data-next with {id} replaced; any other success
// reloads data-next or the page. A refused request shows its errors next to
// the fields, in the page's language.
(function () {
  "use strict";
  var api = Corpu.api, send = Corpu.sendFile;

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
