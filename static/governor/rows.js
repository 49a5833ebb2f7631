// Rules as rows: the pieces shared by the policy editor and the flag editor.
//
// Each editor keeps its JSON in a textarea, which is what the form posts and
// what the server validates field by field. The rows are drawn from that JSON
// and every change to a row writes it back, so the two never disagree, the
// JSON stays in view (and can be pasted or imported), and without JavaScript
// the textarea alone still edits everything.
(function () {
  "use strict";
  var G = (window.Governor = window.Governor || {});

  // An element: el("input", {type: "text", "data-path": "rules[0].name"}, [children]).
  G.el = function (tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      var value = attrs[name];
      if (value === undefined || value === null || value === false) { return; }
      if (name === "text") { node.textContent = value; }
      else if (name === "className") { node.className = value; }
      else if (name === "value") { node.value = value; }
      else if (name === "hidden" || name === "open") { node[name] = true; }
      else { node.setAttribute(name, value === true ? "" : value); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  };

  G.isObject = function (value) {
    return value !== null && typeof value === "object" && !Array.isArray(value);
  };

  // How a value is written in a text box, and read back.
  G.valueText = function (value) {
    if (value === undefined) { return ""; }
    if (typeof value === "string") { return value; }
    return JSON.stringify(value);
  };
  G.listText = function (value) {
    return Array.isArray(value) ? value.map(G.valueText).join(", ") : G.valueText(value);
  };
  G.splitList = function (text) {
    return text.split(",").map(function (part) { return part.trim(); })
      .filter(function (part) { return part !== ""; });
  };
  var NUMBER = /^-?\d+(\.\d+)?$/;
  G.number = function (text) {
    var trimmed = text.trim();
    // Anything else is sent as typed, so that the server names the field.
    return NUMBER.test(trimmed) ? Number(trimmed) : text;
  };
  // true, false, null, a number, "quoted text", [..] or {..} as JSON; the rest as text.
  G.guess = function (text) {
    var trimmed = text.trim();
    if (trimmed === "true") { return true; }
    if (trimmed === "false") { return false; }
    if (trimmed === "null") { return null; }
    if (NUMBER.test(trimmed)) { return Number(trimmed); }
    if (/^["[{]/.test(trimmed)) {
      try { return JSON.parse(trimmed); } catch (e) { return text; }
    }
    return text;
  };

  G.button = function (text, onClick, attrs) {
    var node = G.el("button", Object.assign({ type: "button", className: "secondary" }, attrs || {}), [text]);
    node.addEventListener("click", onClick);
    return node;
  };

  // A labelled text (or number) box; `onInput` gets the text on every keystroke.
  G.field = function (label, text, path, onInput, attrs) {
    var input = G.el("input", Object.assign({ type: "text", value: text, "data-path": path }, attrs || {}));
    input.addEventListener("input", function () { onInput(input.value); });
    return G.el("label", { className: "row-field" }, [G.el("span", { text: label }), input]);
  };

  // A labelled choice; options are [value, text] pairs.
  G.choice = function (label, value, path, options, onChange) {
    var select = G.el("select", { "data-path": path }, options.map(function (option) {
      return G.el("option", { value: option[0], text: option[1], selected: option[0] === value });
    }));
    if (options.every(function (option) { return option[0] !== value; }) && value !== "") {
      // A value the form does not offer (typed into the JSON): keep it visible.
      select.appendChild(G.el("option", { value: value, text: value + " (?)", selected: true }));
    }
    select.addEventListener("change", function () { onChange(select.value); });
    return G.el("label", { className: "row-field" }, [G.el("span", { text: label }), select]);
  };

  // Up, down and remove buttons for item `index` of `list`.
  G.rowButtons = function (list, index, what, changed) {
    function move(delta) {
      var item = list.splice(index, 1)[0];
      list.splice(index + delta, 0, item);
      changed();
    }
    return G.el("span", { className: "row-buttons" }, [
      G.button("↑", function () { move(-1); }, { "aria-label": "Move " + what + " up", disabled: index === 0 }),
      G.button("↓", function () { move(1); }, { "aria-label": "Move " + what + " down", disabled: index === list.length - 1 }),
      G.button("Remove", function () { list.splice(index, 1); changed(); }, { "aria-label": "Remove " + what }),
    ]);
  };

  // The server's messages ("rules[0].when[1].value: must be a list") shown
  // beside the field they name, or the nearest enclosing one drawn as a row.
  G.showErrors = function (root, messages) {
    messages.forEach(function (message) {
      var split = message.indexOf(": ");
      if (split < 0) { return; }
      var path = message.slice(0, split);
      var text = message.slice(split + 2);
      while (path) {
        var target = root.querySelector('[data-path="' + path.replace(/"/g, '\\"') + '"]');
        if (target) {
          target.setAttribute("aria-invalid", "true");
          var note = G.el("span", { className: "error field-error", role: "alert", text: text });
          if (target.matches("input, select, textarea")) { target.parentNode.appendChild(note); }
          else { target.insertBefore(note, target.firstChild.nextSibling); }
          return;
        }
        path = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
      }
    });
  };

  // The JSON itself, folded under the rows: view it, edit it, paste it or
  // import a file; `load(text)` redraws the rows and says whether it could.
  // The textarea's label folds with it unless it heads the rows (keepLabel).
  G.jsonPanel = function (textarea, title, load, keepLabel) {
    var problem = G.el("p", { className: "error", role: "alert", hidden: true });
    var file = G.el("input", { type: "file", accept: ".json,application/json", "aria-label": "Import " + title + " from a file" });
    var apply = G.button("Show this JSON as rows", function () { reload(); });
    function reload() {
      var error = load(textarea.value);
      problem.hidden = !error;
      problem.textContent = error ? "This JSON cannot be shown as rows: " + error : "";
    }
    file.addEventListener("change", function () {
      if (!file.files.length) { return; }
      file.files[0].text().then(function (text) { textarea.value = text; reload(); });
    });
    textarea.addEventListener("change", reload);
    var panel = G.el("details", { className: "json-panel" }, [
      G.el("summary", { text: title + " as JSON (view, paste or import)" }),
    ]);
    var label = keepLabel ? null : document.querySelector('label[for="' + textarea.id + '"]');
    textarea.parentNode.insertBefore(panel, label && label.nextElementSibling === textarea ? label : textarea);
    if (label) { panel.appendChild(label); }
    panel.appendChild(textarea);
    panel.appendChild(G.el("p", { className: "json-actions" }, [apply, " or import a file: ", file]));
    panel.appendChild(problem);
    return { reload: reload, problem: problem, panel: panel };
  };

  G.parse = function (text) {
    try { return { value: JSON.parse(text) }; }
    catch (e) { return { error: e.message }; }
  };
})();
