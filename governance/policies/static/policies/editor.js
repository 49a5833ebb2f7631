// The policy editor's rows: the defaults, then each rule with its conditions
// (field, operator, value) and its decision as fields, kept in step with the
// JSON document the form posts (see static/governor/rows.js).
(function () {
  "use strict";
  var G = window.Governor;
  var root = document.getElementById("rules-editor");
  var textarea = document.getElementById("document");
  if (!G || !root || !textarea) { return; }
  var config = JSON.parse(document.getElementById("policy-editor-config").textContent);
  var doc = null;

  function save() { textarea.value = JSON.stringify(doc, null, 2); }
  function redraw() { save(); render(); }

  // ---- conditions -------------------------------------------------------
  function conditionValue(kind, op, text) {
    if (op === "exists") { return /^(true|yes)$/i.test(text.trim()) ? true : /^(false|no)$/i.test(text.trim()) ? false : text; }
    function one(part) {
      if (config.numeric_kinds.indexOf(kind) >= 0) { return G.number(part); }
      if (config.typed_kinds.indexOf(kind) >= 0) { return G.guess(part); }
      return part.trim();
    }
    if (op === "in" || op === "not_in") { return G.splitList(text).map(one); }
    return one(text);
  }

  function conditionRow(rule, ruleIndex, conditions, index) {
    var cond = conditions[index];
    var path = "rules[" + ruleIndex + "].when[" + index + "]";
    var extra = config.kind_extra[cond.kind];
    var valueBox = G.field("Value", G.listText(cond.value), path + ".value", function (text) {
      cond.value = conditionValue(cond.kind, cond.op, text);
      save();
    }, { placeholder: config.value_hints[cond.op] || "" });
    return G.el("div", { className: "condition", "data-path": path }, [
      G.choice("Field", cond.kind || "", path + ".kind", config.kinds, function (kind) {
        Object.keys(config.kind_extra).forEach(function (k) { delete cond[config.kind_extra[k]]; });
        cond.kind = kind;
        if (config.kind_extra[kind]) { cond[config.kind_extra[kind]] = ""; }
        cond.value = conditionValue(kind, cond.op, G.listText(cond.value));
        redraw();
      }),
      extra ? G.field(config.extra_labels[extra], cond[extra] || "", path + "." + extra, function (text) {
        cond[extra] = text.trim();
        save();
      }, { list: extra === "model" ? "policy-models" : null }) : null,
      G.choice("Operator", cond.op || "", path + ".op", config.operators, function (op) {
        cond.op = op;
        cond.value = conditionValue(cond.kind, op, valueBox.querySelector("input").value);
        redraw();
      }),
      valueBox,
      G.button("Remove", function () { conditions.splice(index, 1); redraw(); },
        { "aria-label": "Remove condition " + (index + 1) + " of rule " + (ruleIndex + 1) }),
    ]);
  }

  // ---- decisions --------------------------------------------------------
  // Left empty, a rule's field keeps the defaults; "none" means no model.
  function setOrDrop(obj, key, value) {
    if (value === undefined) { delete obj[key]; } else { obj[key] = value; }
    save();
  }
  function modelValue(text) {
    var t = text.trim();
    return t === "" ? undefined : t.toLowerCase() === "none" ? null : t;
  }
  function modelsValue(text) {
    var t = text.trim();
    return t === "" ? undefined : t.toLowerCase() === "none" ? [] : G.splitList(t);
  }
  function intValue(text) { return text.trim() === "" ? undefined : G.number(text); }
  function noneText(value, empty) { return value === null || (Array.isArray(value) && !value.length) ? "none" : empty(value); }

  function group(obj, key, path, fields, title) {
    var part = G.isObject(obj[key]) ? obj[key] : {};
    function update(name, value) {
      if (value === undefined) { delete part[name]; } else { part[name] = value; }
      if (Object.keys(part).length) { obj[key] = part; } else { delete obj[key]; }
      save();
    }
    return G.el("details", { className: "decision-group", open: Object.keys(part).length > 0 }, [
      G.el("summary", { text: title }),
      G.el("div", { className: "row" }, fields.map(function (f) {
        var p = path + "." + key + "." + f.name;
        if (f.options) {
          return G.choice(f.label, part[f.name] === undefined ? "" : String(part[f.name]), p,
            [["", "as the defaults"]].concat(f.options.map(function (o) { return [o, o]; })),
            function (v) { update(f.name, v === "" ? undefined : v); });
        }
        if (f.list) {
          return G.field(f.label, G.listText(part[f.name]), p, function (t) {
            update(f.name, t.trim() === "" ? undefined : G.splitList(t));
          }, { placeholder: f.list });
        }
        return G.field(f.label, G.valueText(part[f.name]), p, function (t) { update(f.name, intValue(t)); },
          { inputmode: "numeric", size: 8 });
      })),
    ]);
  }

  function decision(then, path, isDefaults) {
    var keep = isDefaults ? "required" : "as the defaults";
    return G.el("div", { className: "decision", "data-path": path }, [
      G.el("div", { className: "row" }, [
        G.field("Model", then.model === null ? "none" : G.valueText(then.model), path + ".model",
          function (t) { setOrDrop(then, "model", modelValue(t)); }, { list: "policy-models", placeholder: keep }),
        G.field("Fallbacks", then.fallbacks === undefined ? "" : noneText(then.fallbacks, G.listText), path + ".fallbacks",
          function (t) { setOrDrop(then, "fallbacks", modelsValue(t)); }, { placeholder: isDefaults ? "none" : keep + " (none: no fallback)" }),
        G.field("Escalate failures to", then.escalate_to === undefined ? "" : noneText(then.escalate_to, G.valueText), path + ".escalate_to",
          function (t) { setOrDrop(then, "escalate_to", modelValue(t)); }, { list: "policy-models", placeholder: keep }),
        G.field("Timeout (ms)", G.valueText(then.timeout_ms), path + ".timeout_ms",
          function (t) { setOrDrop(then, "timeout_ms", intValue(t)); }, { inputmode: "numeric", size: 9, placeholder: keep }),
        G.choice("Blocked", then.blocked === undefined ? "" : String(then.blocked), path + ".blocked",
          [["", isDefaults ? "no" : "as the defaults"], ["false", "no"], ["true", "yes: no model is called"]],
          function (v) { setOrDrop(then, "blocked", v === "" ? undefined : v === "true"); }),
      ]),
      group(then, "retry", path, config.retry_fields, "Retries"),
      group(then, "circuit_breaker", path, config.circuit_fields, "Circuit breaker"),
    ]);
  }

  // ---- rules ------------------------------------------------------------
  function ruleCard(index) {
    var rule = doc.rules[index];
    var path = "rules[" + index + "]";
    if (!Array.isArray(rule.when)) { rule.when = []; }
    if (!G.isObject(rule.then)) { rule.then = {}; }
    var conditions = rule.when.map(function (_, j) { return conditionRow(rule, index, rule.when, j); });
    return G.el("fieldset", { className: "rule card", "data-path": path }, [
      G.el("legend", { text: "Rule " + (index + 1) }),
      G.el("div", { className: "row" }, [
        G.field("Name", G.valueText(rule.name), path + ".name", function (t) { rule.name = t.trim(); save(); }),
        G.rowButtons(doc.rules, index, "rule " + (index + 1), redraw),
      ]),
      G.el("h4", { text: conditions.length ? "When all of these hold" : "When: always (no condition)" }),
      G.el("div", { className: "conditions" }, conditions),
      G.button("Add condition", function () {
        rule.when.push({ kind: "task_type", op: "eq", value: "" });
        redraw();
        var rows = root.querySelectorAll('[data-path="' + path + '"] .condition');
        rows[rows.length - 1].querySelector("select").focus();
      }, { "aria-label": "Add a condition to rule " + (index + 1) }),
      G.el("h4", { text: "Then" }),
      decision(rule.then, path + ".then", false),
      G.field("Reason (sent to clients; {task_type}, {model}, {team} … are filled in)", G.valueText(rule.reason),
        path + ".reason", function (t) { if (t) { rule.reason = t; } else { delete rule.reason; } save(); },
        { className: "wide" }),
    ]);
  }

  function render() {
    var cards = doc.rules.map(function (_, i) { return ruleCard(i); });
    root.replaceChildren(
      G.el("h3", { text: "Rules, tried in order: the first whose conditions all hold decides" }),
      G.el("div", { className: "rules" }, cards),
      G.button("Add rule", function () {
        var n = doc.rules.length + 1;
        while (doc.rules.some(function (r) { return r.name === "rule-" + n; })) { n += 1; }
        doc.rules.push({ name: "rule-" + n, when: [], then: {}, reason: "" });
        redraw();
        var names = root.querySelectorAll("fieldset.rule input");
        names[names.length - 1].focus();
      }, { id: "add-rule" }),
      G.el("fieldset", { className: "defaults card", "data-path": "defaults" }, [
        G.el("legend", { text: "Defaults: what decides when no rule does, and what a rule leaves out" }),
        decision(doc.defaults, "defaults", true),
      ])
    );
  }

  function load(text) {
    var parsed = G.parse(text);
    if (parsed.error) { return parsed.error; }
    if (!G.isObject(parsed.value)) { return "a policy is an object with defaults and rules"; }
    doc = parsed.value;
    if (!Array.isArray(doc.rules)) { doc.rules = []; }
    if (!G.isObject(doc.defaults)) { doc.defaults = {}; }
    root.hidden = false;
    render();
    return "";
  }

  var panel = G.jsonPanel(textarea, "The policy", load);
  var problem = load(textarea.value);
  if (problem) {
    panel.problem.hidden = false;
    panel.problem.textContent = "This JSON cannot be shown as rows: " + problem;
    panel.panel.open = true;
  }
  var errors = Array.prototype.map.call(document.querySelectorAll("#errors li"), function (li) { return li.textContent; });
  G.showErrors(root, errors);
})();
