// After logging in again, put back what the member typed before their session ended into the
// form it came from (the one posting to the same address). Without JavaScript the page shows the
// texts to copy instead.
(function () {
  var source = document.getElementById("kept-post");
  var notice = document.getElementById("kept-notice");
  if (!source || !notice) return;
  var kept = JSON.parse(source.textContent);
  var forms = Array.prototype.filter.call(document.forms, function (form) {
    return new URL(form.action, window.location.href).pathname === kept.action;
  });
  var form = forms[0];
  if (!form) return;
  var first = null;
  Object.keys(kept.fields).forEach(function (name) {
    var values = kept.fields[name];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name !== name || field.type === "hidden" || field.type === "file") return;
      if (field.type === "checkbox" || field.type === "radio") {
        field.checked = values.indexOf(field.value) !== -1;
      } else if (field.tagName === "SELECT") {
        Array.prototype.forEach.call(field.options, function (option) {
          option.selected = values.indexOf(option.value) !== -1;
        });
      } else {
        field.value = values[0] || "";
        if (!first && field.value) first = field;
      }
    });
  });
  for (var parent = form.parentElement; parent; parent = parent.parentElement) {
    if (parent.tagName === "DETAILS") parent.open = true;
  }
  notice.querySelector(".kept-filled").hidden = false;
  notice.querySelector(".kept-copy").hidden = true;
  if (first) first.focus();
})();
