// Supervisor board: ask before a form marked data-confirm runs (e.g. "release all idle claims").
// A plain submit button, so Enter/Space work; without JavaScript the form posts unasked.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form && form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });
})();
