// A "Copy the code" button for the receipt code: shown only where the browser can copy.
(function () {
  if (!navigator.clipboard || !window.isSecureContext) return;
  document.querySelectorAll("button.copy-code").forEach(function (button) {
    var status = button.parentNode.querySelector(".copy-done");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(
        function () { status.textContent = status.dataset.done || "Copied."; },
        function () { status.textContent = status.dataset.failed || "Could not copy. Please write it down."; }
      );
    });
  });
})();
