// Keyboard work in the inbox, as agents know it from Zendesk and Gmail. Every shortcut is one key without
// modifiers (so it never fights the browser's own), is ignored while typing in a field, and has a button or link
// doing the same for mouse users. "?" lists them; the list is also on the page for screen readers.
(function () {
  "use strict";
  const help = document.getElementById("shortcuts-help");
  function typing(target) {
    if (!(target instanceof HTMLElement)) return false;
    return target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName);
  }
  function showHelp() {
    if (help && !help.open) help.showModal();
  }
  document.querySelectorAll("[data-shortcuts-open]").forEach(function (b) { b.addEventListener("click", showHelp); });
  if (help) help.querySelectorAll("[data-shortcuts-close]").forEach(function (b) { b.addEventListener("click", function () { help.close(); }); });

  // The inbox: a current row that j/k move, Enter/o opens, x checks; the current row survives a live refresh.
  const queue = document.getElementById("queue");
  let current = null;  // data-id of the current row
  function rows() { return queue ? Array.from(queue.querySelectorAll("tbody tr[data-id]")) : []; }
  function mark(row, focus) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    if (!row) { current = null; return; }
    current = row.dataset.id;
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    const link = row.querySelector("a");
    if (focus && link) link.focus();
    row.scrollIntoView({block: "nearest"});
  }
  function move(step) {
    const all = rows();
    if (!all.length) return;
    let i = all.findIndex(function (r) { return r.dataset.id === current; });
    i = i < 0 ? (step > 0 ? 0 : all.length - 1) : Math.max(0, Math.min(all.length - 1, i + step));
    mark(all[i], true);
  }
  function currentRow() { return rows().find(function (r) { return r.dataset.id === current; }) || null; }
  if (queue) {
    // A refresh replaces the rows; put the marker back on the same conversation if it is still there.
    new MutationObserver(function () {
      const row = currentRow();
      if (row && !row.classList.contains("current")) mark(row, false);
    }).observe(queue, {childList: true, subtree: true});
    // Focus that lands on a row by Tab makes that row the current one, so Tab and j/k agree.
    queue.addEventListener("focusin", function (e) {
      const row = e.target instanceof Element ? e.target.closest("tr[data-id]") : null;
      if (row && row.dataset.id !== current) mark(row, false);
    });
  }
  const go = {};  // the second key of a "g" sequence
  document.querySelectorAll("[data-go]").forEach(function (a) { go[a.dataset.go] = a.href; });
  let pendingG = 0;

  document.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) {
      // The one modified shortcut: Ctrl/Cmd+Enter sends the reply being written.
      if ((e.ctrlKey || e.metaKey) && e.key === "Enter" && e.target instanceof HTMLTextAreaElement && e.target.form) {
        e.preventDefault();
        e.target.form.requestSubmit(e.target.form.querySelector("button[type=submit]:not([name])"));
      }
      return;
    }
    if (e.key === "Escape" && typing(e.target)) { e.target.blur(); return; }
    if (typing(e.target) || (help && help.open)) return;
    if (pendingG && Date.now() - pendingG < 1500 && go[e.key]) {
      pendingG = 0; e.preventDefault(); window.location.href = go[e.key]; return;
    }
    pendingG = 0;
    const row = currentRow();
    const reply = document.getElementById("reply-text");
    const act = {
      "?": showHelp,
      "g": function () { pendingG = Date.now(); },
      "j": function () { move(1); }, "ArrowDown": queue ? function () { move(1); } : null,
      "k": function () { move(-1); }, "ArrowUp": queue ? function () { move(-1); } : null,
      "o": row ? function () { row.querySelector("a").click(); } : null,
      "Enter": row && !(e.target instanceof HTMLAnchorElement || e.target instanceof HTMLButtonElement) ? function () { row.querySelector("a").click(); } : null,
      "x": row ? function () { const box = row.querySelector("input[name=ids]"); if (box) { box.checked = !box.checked; box.dispatchEvent(new Event("change", {bubbles: true})); } } : null,
      "/": function () { const f = document.querySelector("#filters select, #filters input"); if (f) f.focus(); },
      "a": function () { const s = document.getElementById("bulk-action"); if (s) { s.value = "assign"; s.focus(); } },
      "r": reply ? function () { reply.focus(); } : null,
      "e": function () { const b = document.getElementById("resolve"); if (b) b.click(); },
      "u": function () { const back = document.getElementById("back-to-inbox"); if (back) back.click(); },
    }[e.key];
    if (act) { e.preventDefault(); act(); }
  });
})();
