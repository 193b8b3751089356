// Writing to the reporter: choosing a kind of message offers its template. It fills the text only
// when nothing is typed (or the text is a template as it was filled in); otherwise it asks first.
// Without JavaScript the same happens through the "Start from this kind's template" button.
(function () {
  var form = document.querySelector("form[data-compose]");
  var source = document.getElementById("compose-templates");
  if (!form || !source) return;
  var templates = JSON.parse(source.textContent);
  var subject = form.elements.namedItem("subject");
  var body = form.elements.namedItem("body");
  var ask = document.getElementById("compose-ask");
  var askText = document.getElementById("compose-ask-text");
  var askTemplate = askText.textContent;
  var pending = null;

  form.querySelectorAll(".js-hide").forEach(function (el) { el.hidden = true; });

  function untouched() {
    var text = body.value.trim();
    if (!text) return true;
    return Object.keys(templates).some(function (kind) { return templates[kind].body.trim() === text; });
  }
  function fill(kind) {
    subject.value = templates[kind].subject;
    body.value = templates[kind].body;
  }
  function chosenKind() {
    var checked = form.querySelector("input[name=kind]:checked");
    return checked ? checked.value : null;
  }
  function closeAsk() {
    ask.hidden = true;
    pending = null;
  }

  form.addEventListener("change", function (event) {
    if (event.target.name !== "kind" || !templates[event.target.value]) return;
    var kind = event.target.value;
    if (untouched()) {
      fill(kind);
      closeAsk();
      return;
    }
    pending = kind;
    askText.textContent = askTemplate.replace(/“.*”/, "“" + templates[kind].label + "”");
    ask.hidden = false;
    ask.querySelector("button[value=keep]").focus();
  });

  ask.addEventListener("click", function (event) {
    var button = event.target.closest("button[name=action]");
    if (!button) return;
    event.preventDefault();
    var kind = pending || chosenKind();
    if (button.value === "replace" && kind) fill(kind);
    closeAsk();
    body.focus();
  });
})();
