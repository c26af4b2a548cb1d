// The joint review room: a click on a drawing's page places a mark there and asks for its comment.
// The mark is kept as fractions of the page's width and height from the top left (0 to 1).
(function () {
  "use strict";
  var SVG = "http://www.w3.org/2000/svg";

  function setUp() {
    var sheet = document.getElementById("sheet-image");
    var form = document.getElementById("mark-form");
    if (!sheet || !form || !sheet.classList.contains("can-mark")) {
      return;
    }
    var box = sheet.viewBox.baseVal;
    var radius = parseFloat(sheet.getAttribute("data-radius")) || box.width * 0.014;
    var draft = null;

    function clearDraft() {
      if (draft) {
        draft.remove();
        draft = null;
      }
    }

    sheet.addEventListener("click", function (event) {
      var rect = sheet.getBoundingClientRect();
      var x = (event.clientX - rect.left) / rect.width;
      var y = (event.clientY - rect.top) / rect.height;
      if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) {
        return;
      }
      document.getElementById("mark-x").value = x.toFixed(5);
      document.getElementById("mark-y").value = y.toFixed(5);
      clearDraft();
      draft = document.createElementNS(SVG, "g");
      draft.setAttribute("class", "pin draft");
      draft.setAttribute("transform", "translate(" + x * box.width + " " + y * box.height + ")");
      var circle = document.createElementNS(SVG, "circle");
      circle.setAttribute("r", String(radius));
      draft.appendChild(circle);
      sheet.appendChild(draft);
      form.hidden = false;
      document.getElementById("mark-comment").focus();
    });

    document.getElementById("mark-cancel").addEventListener("click", function () {
      clearDraft();
      form.hidden = true;
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
