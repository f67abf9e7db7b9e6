// Copy buttons: a button with data-copy="<input id>" copies that field's
// text and says so in its data-role=copied sibling (a live region).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (b) {
    b.hidden = false;
    b.addEventListener("click", function () {
      var field = document.getElementById(b.dataset.copy);
      var said = b.parentNode.querySelector("[data-role=copied]");
      var done = function () { if (said) said.textContent = b.dataset.copied; };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); document.execCommand("copy"); done(); });
      } else {
        field.select(); document.execCommand("copy"); done();
      }
    });
  });
})();
