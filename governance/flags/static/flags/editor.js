// The flag form's rows: variants (name and value), targeting rules (conditions
// as attribute / operator / value, serving a variant or a percentage split)
// and the rollout split, each kept in step with the JSON field the form posts
// (see static/governor/rows.js). The schedule stays JSON.
(function () {
  "use strict";
  var G = window.Governor;
  var form = document.querySelector("form[data-flag-editor]");
  var configNode = document.getElementById("flag-editor-config");
  if (!G || !form || !configNode) { return; }
  var config = JSON.parse(configNode.textContent);
  var typeSelect = form.querySelector('[name="flag_type"]');
  var parts = {};

  function area(name) { return form.querySelector('textarea[name="' + name + '"]'); }
  function variantNames() { return parts.variants.pairs.map(function (p) { return p[0]; }).filter(Boolean); }
  function variantOptions() { return variantNames().map(function (n) { return [n, n]; }); }

  // ---- variants ---------------------------------------------------------
  function variantValue(text) {
    var type = typeSelect ? typeSelect.value : "boolean";
    if (type === "boolean") { return text === "true" ? true : text === "false" ? false : text; }
    if (type === "number") { return G.number(text); }
    if (type === "object") { return G.guess(text); }
    return text;
  }
  var variants = {
    empty: {},
    read: function (value) {
      if (!G.isObject(value)) { throw new Error("variants are an object of name to value"); }
      this.pairs = Object.keys(value).map(function (k) { return [k, value[k]]; });
    },
    value: function () {
      var out = {};
      this.pairs.forEach(function (p) { if (p[0]) { out[p[0]] = p[1]; } });
      return out;
    },
    draw: function (save, redraw) {
      var pairs = this.pairs;
      var boolean = !typeSelect || typeSelect.value === "boolean";
      return [
        G.el("div", { className: "rows" }, pairs.map(function (pair, i) {
          var path = "variants." + pair[0];
          var name = G.field("Variant", pair[0], path, function (t) { pair[0] = t.trim(); save(); });
          // Rules and splits offer the variants by name: redraw them once a name is typed.
          name.querySelector("input").addEventListener("change", function () { drawAll(); });
          return G.el("div", { className: "condition", "data-path": path }, [
            name,
            boolean
              ? G.choice("Value", G.valueText(pair[1]), path, [["true", "true"], ["false", "false"]],
                function (v) { pair[1] = variantValue(v); save(); })
              : G.field("Value", G.valueText(pair[1]), path, function (t) { pair[1] = variantValue(t); save(); }),
            G.rowButtons(pairs, i, "variant " + (pair[0] || i + 1), redraw),
          ]);
        })),
        G.button("Add variant", function () {
          pairs.push(["variant-" + (pairs.length + 1), boolean ? false : ""]);
          redraw();
          drawAll();
        }),
      ];
    },
  };

  // ---- percentage splits (a rule's, and the rollout) ---------------------
  function splitRows(split, path, save, redraw) {
    return G.el("div", { className: "rows" }, split.map(function (share, i) {
      return G.el("div", { className: "condition", "data-path": path + "[" + i + "]" }, [
        G.choice("Variant", share.variant || "", path + "[" + i + "].variant", variantOptions(),
          function (v) { share.variant = v; save(); }),
        G.field("Weight (%)", G.valueText(share.weight), path + "[" + i + "].weight",
          function (t) { share.weight = G.number(t); save(); }, { inputmode: "decimal", size: 6 }),
        G.rowButtons(split, i, "share " + (i + 1), redraw),
      ]);
    }));
  }
  function addShare(split, redraw) {
    return G.button("Add share", function () {
      split.push({ variant: variantNames()[0] || "", weight: split.length ? 0 : 100 });
      redraw();
    });
  }
  var rollout = {
    empty: [],
    read: function (value) {
      if (!Array.isArray(value)) { throw new Error("the rollout is a list of {variant, weight}"); }
      this.split = value;
    },
    value: function () { return this.split; },
    draw: function (save, redraw) {
      return [
        G.el("p", { className: "muted", text: this.split.length
          ? "When no rule matches, targeting keys are split between these variants:"
          : "No rollout: when no rule matches, the default variant is served." }),
        splitRows(this.split, "rollout", save, redraw),
        addShare(this.split, redraw),
      ];
    },
  };

  // ---- rules --------------------------------------------------------------
  function conditionValue(op, text) {
    if (op === "in" || op === "not_in") { return G.splitList(text).map(G.guess); }
    if (config.numeric_operators.indexOf(op) >= 0) { return G.number(text); }
    if (op === "equals" || op === "not_equals") { return G.guess(text); }
    return text.trim();
  }
  function ruleCard(rules, index, save, redraw) {
    var rule = rules[index];
    var path = "rules[" + index + "]";
    if (!Array.isArray(rule.conditions)) { rule.conditions = []; }
    var splitting = Array.isArray(rule.split) && rule.split.length > 0;
    var conditions = rule.conditions.map(function (cond, j) {
      var cpath = path + ".conditions[" + j + "]";
      var valueBox = G.field("Value", G.listText(cond.value), cpath + ".value", function (t) {
        cond.value = conditionValue(cond.operator, t);
        save();
      }, { placeholder: config.value_hints[cond.operator] || "" });
      return G.el("div", { className: "condition", "data-path": cpath }, [
        G.field("Attribute", G.valueText(cond.attribute), cpath + ".attribute",
          function (t) { cond.attribute = t.trim(); save(); }, { list: "flag-attributes" }),
        G.choice("Operator", cond.operator || "", cpath + ".operator", config.operators, function (op) {
          cond.operator = op;
          cond.value = conditionValue(op, valueBox.querySelector("input").value);
          redraw();
        }),
        valueBox,
        G.button("Remove", function () { rule.conditions.splice(j, 1); redraw(); },
          { "aria-label": "Remove condition " + (j + 1) + " of rule " + (index + 1) }),
      ]);
    });
    return G.el("fieldset", { className: "rule card", "data-path": path }, [
      G.el("legend", { text: "Rule " + (index + 1) }),
      G.el("div", { className: "row" }, [
        G.field("Name", G.valueText(rule.name), path + ".name", function (t) { rule.name = t; save(); }),
        G.rowButtons(rules, index, "rule " + (index + 1), redraw),
      ]),
      G.el("h4", { text: conditions.length ? "When all of these hold" : "When: always (no condition)" }),
      G.el("div", { className: "conditions" }, conditions),
      G.button("Add condition", function () {
        rule.conditions.push({ attribute: "", operator: "equals", value: "" });
        redraw();
      }, { "aria-label": "Add a condition to rule " + (index + 1) }),
      G.el("h4", { text: "Serve" }),
      G.choice("Serve", splitting ? "split" : "variant", path + ".serve",
        [["variant", "one variant"], ["split", "a percentage split"]], function (how) {
          if (how === "split") { rule.variant = null; rule.split = [{ variant: variantNames()[0] || "", weight: 100 }]; }
          else { rule.split = []; rule.variant = variantNames()[0] || ""; }
          redraw();
        }),
      splitting
        ? G.el("div", {}, [splitRows(rule.split, path + ".split", save, redraw), addShare(rule.split, redraw)])
        : G.choice("Variant", rule.variant || "", path + ".variant", variantOptions(),
          function (v) { rule.variant = v; save(); }),
      rule.schedule ? G.el("p", { className: "muted", text: "This rule has its own schedule (edit it in the JSON)." }) : null,
    ]);
  }
  var rules = {
    empty: [],
    read: function (value) {
      if (!Array.isArray(value)) { throw new Error("rules are a list"); }
      this.list = value;
    },
    value: function () { return this.list; },
    draw: function (save, redraw) {
      var list = this.list;
      return [
        G.el("p", { className: "muted", text: "Tried in order: the first rule whose conditions all hold serves its variant or split." }),
        G.el("div", { className: "rules" }, list.map(function (_, i) { return ruleCard(list, i, save, redraw); })),
        G.button("Add rule", function () {
          list.push({ name: "rule-" + (list.length + 1), conditions: [], variant: variantNames()[0] || "", split: [] });
          redraw();
        }, { id: "add-flag-rule" }),
      ];
    },
  };

  // ---- wiring: each part draws into a box above its (folded) JSON ----------
  function mount(name, part, title) {
    var textarea = area(name);
    if (!textarea) { return; }
    // Hidden until its JSON is read: the variants' first drawing redraws the others.
    var box = G.el("div", { className: "rules-editor", "data-part": name, hidden: true });
    part.textarea = textarea;
    part.box = box;
    part.save = function () {
      var value = part.value();
      var empty = Array.isArray(value) ? !value.length : !Object.keys(value).length;
      textarea.value = empty ? "" : JSON.stringify(value, null, 2);
    };
    part.redraw = function () { part.save(); part.render(); };
    part.render = function () { box.replaceChildren.apply(box, part.draw(part.save, part.redraw)); };
    function load(text) {
      var parsed = text.trim() ? G.parse(text) : { value: JSON.parse(JSON.stringify(part.empty)) };
      if (parsed.error) { box.hidden = true; return parsed.error; }
      try { part.read(parsed.value); } catch (e) { box.hidden = true; return e.message; }
      box.hidden = false;
      part.render();
      if (name === "variants") { drawAll(); }
      return "";
    }
    var panel = G.jsonPanel(textarea, title, load, true);
    panel.panel.parentNode.insertBefore(box, panel.panel);
    parts[name] = part;
    part.load = load;
    part.panel = panel;
  }
  function drawAll() {
    ["rules", "rollout"].forEach(function (name) { if (parts[name] && !parts[name].box.hidden) { parts[name].render(); } });
  }

  mount("variants", variants, "Variants");
  mount("rules", rules, "Rules");
  mount("rollout", rollout, "Rollout");
  Object.keys(parts).forEach(function (name) {
    var part = parts[name];
    var problem = part.load(part.textarea.value);
    if (problem) {
      part.panel.problem.hidden = false;
      part.panel.problem.textContent = "This JSON cannot be shown as rows: " + problem;
      part.panel.panel.open = true;
    }
    // The server's messages for this field, beside the row they name.
    var field = part.textarea.closest("[data-field]");
    var messages = field ? Array.prototype.map.call(field.querySelectorAll(".error:not(.field-error)"), function (n) { return n.textContent; }) : [];
    G.showErrors(part.box, messages);
    if (messages.length) { part.panel.panel.open = part.panel.panel.open || part.box.hidden; }
  });
  if (typeSelect) { typeSelect.addEventListener("change", function () { parts.variants.render(); }); }
})();
