// "Leave this page quickly" (D14): replace this page and its history entry with a neutral site.
// By its button; by Escape only when no field has focus and nothing is typed on the page, so a
// reporter who presses Escape while writing never loses their report.
(function () {
  function exitLink() {
    return document.querySelector("a.quick-exit-link");
  }

  function leave(link) {
    document.documentElement.style.visibility = "hidden"; // nothing of this page while the next loads
    window.location.replace(link.href);
  }

  function isField(element) {
    return Boolean(
      element && (element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName))
    );
  }

  function somethingTyped() {
    var fields = document.querySelectorAll("input, textarea, select");
    return Array.prototype.some.call(fields, function (field) {
      var type = (field.type || "").toLowerCase();
      if (["hidden", "submit", "button", "reset", "image"].indexOf(type) !== -1) return false;
      if (type === "checkbox" || type === "radio") return field.checked !== field.defaultChecked;
      if (type === "file") return Boolean(field.files && field.files.length);
      if (field.tagName === "SELECT") {
        return Array.prototype.some.call(field.options, function (option) {
          return option.selected !== option.defaultSelected;
        });
      }
      return field.value.trim() !== ""; // typed now, or kept by the server after an error
    });
  }

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.quick-exit-link");
    if (!link) return;
    event.preventDefault();
    leave(link);
  });

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape" || event.defaultPrevented || event.repeat) return;
    var link = exitLink();
    if (!link || isField(document.activeElement) || somethingTyped()) return;
    leave(link);
  });
})();
