// Progressive enhancement of the fleet's line list: the count of selected
// lines, and a box selecting every line of the page. The page works without it.
(function () {
  "use strict";
  var form = document.getElementById("selection");
  if (!form) return;
  var count = form.querySelector("[data-selected-count]");
  var boxes = function () { return form.querySelectorAll('input[type="checkbox"][name="line"]'); };
  var all = document.createElement("input");
  all.type = "checkbox";
  all.id = "select-all";
  all.setAttribute("aria-label", form.getAttribute("data-select-all") || "Select all");
  var head = form.querySelector("thead th");
  if (head) head.appendChild(all);
  function update() {
    var selected = Array.prototype.filter.call(boxes(), function (b) { return b.checked; }).length;
    if (count) count.textContent = selected ? (form.getAttribute("data-selected-text") || "") + " " + selected : "";
    all.checked = selected > 0 && selected === boxes().length;
  }
  all.addEventListener("change", function () {
    Array.prototype.forEach.call(boxes(), function (b) { b.checked = all.checked; });
    update();
  });
  form.addEventListener("change", function (event) {
    if (event.target !== all) update();
  });
  update();
})();
