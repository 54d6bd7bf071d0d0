// The segment builder: rows of conditions under "all" or "any", each optionally negated, written into the
// definition textarea (which stays the form's one source and works without this script), with a live count.
(function () {
  "use strict";
  const form = document.getElementById("segment-form");
  const box = document.getElementById("builder");
  const textarea = document.getElementById("definition");
  const fieldsTag = document.getElementById("segment-fields");
  if (!form || !box || !textarea || !fieldsTag) return;
  const fields = JSON.parse(fieldsTag.textContent);
  const byName = Object.fromEntries(fields.map((f) => [f.name, f]));
  const OPS = { eq: "is", ne: "is not", lt: "<", lte: "≤", gt: ">", gte: "≥", in: "is one of",
    contains: "contains", exists: "is known", within_days: "within the last N days" };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (k === "text") node.textContent = v; else node.setAttribute(k, v);
    });
    (children || []).forEach((c) => node.appendChild(c));
    return node;
  }

  // A flat definition the rows can show, or null (then the JSON is edited by hand).
  function toRows(def) {
    let mode = "all", items = null;
    if (def && Array.isArray(def.all)) items = def.all;
    else if (def && Array.isArray(def.any)) { mode = "any"; items = def.any; }
    else if (def && def.field) items = [def];
    if (!items) return null;
    const rows = [];
    for (const item of items) {
      const negated = !!(item && item.not && !Array.isArray(item.not));
      const cond = negated ? item.not : item;
      if (!cond || !cond.field || cond.all || cond.any || cond.not) return null;
      rows.push({ negated, cond });
    }
    return { mode, rows };
  }

  function valueInput(field, op, value) {
    if (op === "exists" || field.type === "boolean") {
      const s = el("select", { "aria-label": "Value", "data-role": "value" });
      [["true", op === "exists" ? "yes" : "true"], ["false", op === "exists" ? "no" : "false"]].forEach(([v, t]) => {
        const o = el("option", { value: v, text: t }); if (String(value) === v) o.selected = true; s.appendChild(o);
      });
      return s;
    }
    if (field.type === "choice" && op !== "in") {
      const s = el("select", { "aria-label": "Value", "data-role": "value" });
      field.choices.forEach((c) => { const o = el("option", { value: c, text: c }); if (c === value) o.selected = true; s.appendChild(o); });
      return s;
    }
    const numeric = ["number", "money"].includes(field.type) || op === "within_days";
    const input = el("input", { "aria-label": "Value", "data-role": "value",
      type: field.type === "datetime" && op !== "within_days" ? "date" : (numeric && op !== "in" ? "number" : "text"),
      step: "any", placeholder: op === "in" ? "comma-separated" : "" });
    if (value !== undefined && value !== null) input.value = Array.isArray(value) ? value.join(", ") : String(value).slice(0, field.type === "datetime" ? 10 : undefined);
    return input;
  }

  function readValue(field, op, raw) {
    if (op === "exists" || field.type === "boolean") return raw === "true";
    const one = (v) => {
      v = v.trim();
      if (op === "within_days") return parseInt(v, 10);
      if (field.type === "number") return v === "" ? v : Number(v);
      return v;
    };
    return op === "in" ? raw.split(",").map(one).filter((v) => v !== "") : one(raw);
  }

  function row(data) {
    const cond = data.cond || {};
    const field = byName[cond.field] || fields[0];
    const li = el("li", { class: "seg-row" });
    const not = el("input", { type: "checkbox", "aria-label": "Not", "data-role": "not" });
    not.checked = !!data.negated;
    const fieldSel = el("select", { "aria-label": "Field", "data-role": "field" });
    const groups = {};
    fields.forEach((f) => {
      if (!groups[f.group]) { groups[f.group] = el("optgroup", { label: f.group }); fieldSel.appendChild(groups[f.group]); }
      const o = el("option", { value: f.name, text: f.label }); if (f.name === field.name) o.selected = true; groups[f.group].appendChild(o);
    });
    const opSel = el("select", { "aria-label": "Operator", "data-role": "op" });
    const op = field.ops.includes(cond.op) ? cond.op : field.ops[0];
    field.ops.forEach((o) => { const opt = el("option", { value: o, text: OPS[o] || o }); if (o === op) opt.selected = true; opSel.appendChild(opt); });
    const remove = el("button", { type: "button", class: "link", "aria-label": "Remove condition", text: "✕" });
    li.append(el("label", { class: "inline" }, [not, document.createTextNode(" not ")]), fieldSel, opSel, valueInput(field, op, cond.value));
    const params = field.params || {};
    if (params.category) {
      const category = el("input", { type: "text", "aria-label": "Category", "data-role": "category", placeholder: "any category", style: "width:10em" });
      if (cond.category) category.value = cond.category;
      li.append(el("span", { class: "muted", text: " in category " }), category);
    }
    if (params.days) {
      const days = el("input", { type: "number", min: "1", "aria-label": "Days", "data-role": "days", style: "width:5em" });
      const initial = cond.days || params.days.default;
      if (initial) days.value = initial;
      if (params.from) days.placeholder = "all";
      li.append(el("span", { class: "muted", text: " in the last " }), days, el("span", { class: "muted", text: " days" }));
    }
    if (params.from) {
      const from = el("input", { type: "date", "aria-label": "From", "data-role": "from" });
      const to = el("input", { type: "date", "aria-label": "To", "data-role": "to" });
      if (cond.from) from.value = cond.from;
      if (cond.to) to.value = cond.to;
      li.append(el("span", { class: "muted", text: " or from " }), from, el("span", { class: "muted", text: " to " }), to);
    }
    li.append(remove);
    fieldSel.addEventListener("change", () => { li.replaceWith(row({ negated: not.checked, cond: { field: fieldSel.value } })); sync(); });
    opSel.addEventListener("change", () => {
      const v = li.querySelector("[data-role=value]");
      v.replaceWith(valueInput(field, opSel.value, undefined)); sync();
    });
    remove.addEventListener("click", () => { li.remove(); sync(); });
    return li;
  }

  function definitionFromRows() {
    const items = [...box.querySelectorAll(".seg-row")].map((li) => {
      const field = byName[li.querySelector("[data-role=field]").value];
      const op = li.querySelector("[data-role=op]").value;
      const cond = { field: field.name, op, value: readValue(field, op, li.querySelector("[data-role=value]").value) };
      const days = li.querySelector("[data-role=days]");
      if (days && days.value) cond.days = parseInt(days.value, 10);
      ["from", "to", "category"].forEach((key) => {
        const input = li.querySelector(`[data-role=${key}]`);
        if (input && input.value.trim()) cond[key] = input.value.trim();
      });
      return li.querySelector("[data-role=not]").checked ? { not: cond } : cond;
    });
    return { [box.querySelector("[data-role=mode]").value]: items };
  }

  let timer = null;
  function preview() {
    clearTimeout(timer);
    timer = setTimeout(() => {
      const body = new FormData();
      body.append("definition", textarea.value);
      body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
      fetch(form.dataset.previewUrl, { method: "POST", body, credentials: "same-origin" })
        .then((r) => r.text())
        .then((html) => { const target = document.getElementById("preview-result"); if (target) target.outerHTML = html; });
    }, 250);
  }

  function sync() {
    if (box.querySelector(".seg-row")) textarea.value = JSON.stringify(definitionFromRows(), null, 2);
    preview();
  }

  function render() {
    let parsed = null;
    try { parsed = JSON.parse(textarea.value); } catch (e) { parsed = null; }
    const shape = toRows(parsed);
    if (!shape) { box.hidden = true; preview(); return false; }
    box.innerHTML = "";
    const mode = el("select", { "aria-label": "Match", "data-role": "mode" });
    [["all", "all of"], ["any", "any of"]].forEach(([v, t]) => { const o = el("option", { value: v, text: t }); if (v === shape.mode) o.selected = true; mode.appendChild(o); });
    const list = el("ul", { class: "seg-rows", style: "list-style:none;padding:0" });
    shape.rows.forEach((r) => list.appendChild(row(r)));
    const add = el("button", { type: "button", class: "button", id: "add-condition", text: "Add condition" });
    add.addEventListener("click", () => { list.appendChild(row({ cond: {} })); sync(); });
    box.append(el("p", {}, [document.createTextNode("People matching "), mode, document.createTextNode(" these conditions:")]), list, add);
    box.hidden = false;
    document.getElementById("json-box").open = false;
    return true;
  }

  box.addEventListener("change", sync);
  box.addEventListener("input", (e) => { if (e.target.matches("input")) sync(); });
  textarea.addEventListener("input", () => { preview(); });
  textarea.addEventListener("change", render);
  render();
  preview();
})();
