// "Leave this page quickly": replace this page and its history entry with a neutral site.
document.addEventListener("click", function (event) {
  var link = event.target.closest("a.quick-exit-link");
  if (!link) return;
  event.preventDefault();
  window.location.replace(link.href);
});
document.addEventListener("keydown", function (event) {
  if (event.key === "Escape" && document.querySelector("a.quick-exit-link")) {
    window.location.replace(document.querySelector("a.quick-exit-link").href);
  }
});
