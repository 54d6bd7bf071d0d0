{% load i18n %}{% translate "Write a message" as write_text %}{% translate "Send" as send_text %}(function () {
  "use strict";
  var endpoint = {{ endpoint|safe }}, title = {{ title|safe }}, store = "rapport-chat-token";
  // In the visitor's language (their browser's, or ?lang= on this script's address).
  var words = {write: "{{ write_text|escapejs }}", send: "{{ send_text|escapejs }}"};
  // A customer signed in on the brand's site: the page's server renders data-identifier and data-identifier-hash
  // (HMAC-SHA256 of the identifier with the channel's identity secret) on this script tag.
  var me = document.currentScript, who = {};
  if (me && me.dataset && me.dataset.identifier) {
    who = {identifier: me.dataset.identifier, identifier_hash: me.dataset.identifierHash || ""};
  }
  var box = document.createElement("div");
  box.setAttribute("style", "position:fixed;right:16px;bottom:16px;width:300px;font:14px system-ui,sans-serif;" +
    "background:#fff;border:1px solid #ccd;border-radius:8px;box-shadow:0 4px 16px rgba(0,0,0,.15);z-index:99999");
  box.innerHTML = '<div style="padding:8px 12px;background:#2457d6;color:#fff;border-radius:8px 8px 0 0"></div>' +
    '<div class="rc-log" style="height:220px;overflow:auto;padding:8px 12px"></div>' +
    '<form style="display:flex;gap:4px;padding:8px"><input name="text" ' +
    'style="flex:1;padding:6px" required><button></button></form>';
  box.firstChild.textContent = title;
  box.querySelector("input[name=text]").setAttribute("placeholder", words.write);
  box.querySelector("form button").textContent = words.send;
  document.body.appendChild(box);
  var log = box.querySelector(".rc-log"), form = box.querySelector("form");
  function render(items) {
    log.textContent = "";
    items.forEach(function (m) {
      var p = document.createElement("p");
      p.style.textAlign = m.direction === "inbound" ? "right" : "left";
      p.textContent = m.text;
      log.appendChild(p);
    });
    log.scrollTop = log.scrollHeight;
  }
  function refresh() {
    var token = localStorage.getItem(store);
    if (!token) return;
    fetch(endpoint + "?token=" + encodeURIComponent(token)).then(function (r) {
      if (r.status === 403) localStorage.removeItem(store);  // expired or foreign: the next message starts afresh
      return r.ok ? r.json() : {items: []};
    })
      .then(function (d) { render(d.items); });
  }
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var text = form.text.value;
    fetch(endpoint, {method: "POST", headers: {"Content-Type": "application/json"},
      body: JSON.stringify(Object.assign({text: text, token: localStorage.getItem(store) || "", page: location.href},
        who))})
      .then(function (r) { return r.json(); })
      .then(function (d) { if (d.token) localStorage.setItem(store, d.token); form.text.value = ""; refresh(); });
  });
  refresh();
  setInterval(refresh, 5000);
})();
