/* Small enhancements of the workbench; every page also works without them. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-check-all]");
    if (!button) { return; }
    event.preventDefault();
    document.querySelectorAll(button.getAttribute("data-check-all")).forEach(function (box) {
      box.checked = true;
    });
  });
})();
