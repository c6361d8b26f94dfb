// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // A password strength meter: length and character variety, 0-4.
  function score(value) {
    var points = 0;
    if (value.length >= 12) points++;
    if (value.length >= 16) points++;
    var kinds = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter(function (r) { return r.test(value); }).length;
    if (kinds >= 3) points++;
    if (kinds === 4 && value.length >= 12) points++;
    return Math.min(points, 4);
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("input[data-strength]")) return;
    var meter = document.getElementById(input.getAttribute("data-strength"));
    if (meter) {
      var s = score(input.value);
      meter.setAttribute("data-score", String(s));
      meter.setAttribute("aria-valuenow", String(s));
    }
  });
  // Buttons that ask for a confirmation first (data-confirm="question").
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.getAttribute("data-confirm"))) event.preventDefault();
  });
  // A print button (transfer details).
  document.addEventListener("click", function (event) {
    if (event.target.matches && event.target.matches("[data-print]")) window.print();
  });
})();
