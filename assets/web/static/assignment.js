// Corpu's assignment pages. The hand-in form uploads each chosen file
// straight to the object store (Corpu.sendFile in upload.js, which must load
// first) with a progress bar, and the form carries the file's id. The
// form's key makes a second press hand in one version. The grading form
// shows the score the chosen rubric levels earn.
(function () {
  "use strict";
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
      Corpu.sendFile(file, "assignment_submission", "", function (n) { r.bar.value = n; })
        .then(function (f) {
          var hidden = document.createElement("input");
          hidden.type = "hidden"; hidden.name = input.dataset.field; hidden.value = f.file_id;
          form.appendChild(hidden);
          r.bar.value = r.bar.max;
          r.state.textContent = t.uploaded;
          r.state.className = "state state-saved";
        })
        .catch(function (problem) { fail(r, Corpu.message(problem, t.failed)); })
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
