// The public report form: choosing "Anonymously" or "Held in escrow" hides the name and contact
// boxes (CSS does that without JavaScript too) and empties them, and says so. Without
// JavaScript the server discards what was typed there and says so on the thank-you page.
(function () {
  var form = document.querySelector("form.report-form");
  if (!form) return;
  var named = document.getElementById("when-named");
  var status = document.getElementById("contact-cleared");
  form.addEventListener("change", function (event) {
    if (event.target.name !== "kind" || event.target.value === "named") {
      if (event.target.name === "kind") status.textContent = "";
      return;
    }
    var cleared = false;
    named.querySelectorAll("input[type=text], input[type=email], input[type=tel]").forEach(function (input) {
      if (input.value) cleared = true;
      input.value = "";
    });
    if (cleared) status.textContent = status.dataset.cleared;
  });
})();
