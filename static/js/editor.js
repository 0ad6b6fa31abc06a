// The article editor: tabs per audience with their state, a live preview beside the text, the
// address made from the title, a search for related articles, and autosave to the server with a
// warning before leaving unsaved work. The form works without this file: every text area is
// visible, related articles are added by address, and saving is a plain POST.
(function () {
  "use strict";
  var form = document.querySelector(".article-form");
  if (!form) return;
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var status = form.querySelector(".autosave-status");

  function post(url, body, headers, keepalive) {
    headers["X-CSRFToken"] = token;
    return fetch(url, {
      method: "POST", headers: headers, body: body, credentials: "same-origin", keepalive: !!keepalive
    });
  }

  // --- tabs and the live preview -----------------------------------------------------------
  var links = form.querySelectorAll(".tab-link");
  var panels = form.querySelectorAll(".tab-panel");
  var previews = {};
  var current = null;

  function linkFor(key) {
    return form.querySelector('.tab-link[data-tab="' + key + '"]');
  }

  function updateTab(key, level) {
    // The server says what the tab shows ("required, filled, over reading level..."): one rule.
    var link = linkFor(key);
    if (!link || !level) return;
    link.querySelector(".tab-state").textContent = "(" + level.dataset.summary + ")";
    link.classList.toggle("is-empty", !level.dataset.filled);
    link.classList.toggle("is-over", !!level.dataset.over);
  }

  panels.forEach(function (panel) {
    var key = panel.dataset.tab;
    var area = panel.querySelector("textarea");
    var target = panel.querySelector(".preview");
    var timer = null;
    var asked = 0;
    function refresh() {
      var body = new URLSearchParams();
      body.append("text", area.value);
      body.append("audience", key);
      var mine = ++asked;
      post(form.dataset.previewUrl, body.toString(), {
        "Content-Type": "application/x-www-form-urlencoded"
      }).then(function (r) { return r.text(); }).then(function (html) {
        if (mine !== asked || current !== key) return;  // a later keystroke or another tab won
        // The server renders and sanitises; this is the same HTML readers would get.
        target.innerHTML = html;
        target.dataset.rendered = "1";
        updateTab(key, target.querySelector(".preview-level"));
      }).catch(function () {
        target.innerHTML = '<p class="error">The preview could not be loaded (no connection).</p>';
      });
    }
    previews[key] = {
      refresh: refresh,
      clear: function () { asked++; target.innerHTML = ""; delete target.dataset.rendered; }
    };
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
  });

  function show(key) {
    current = key;
    panels.forEach(function (p) { p.hidden = p.dataset.tab !== key; });
    links.forEach(function (a) {
      var on = a.dataset.tab === key;
      a.classList.toggle("is-current", on);
      if (on) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
    // One preview in the page at a time: each carries ids (references, glossary) readers' pages
    // have once.
    Object.keys(previews).forEach(function (k) { if (k !== key) previews[k].clear(); });
    if (previews[key]) previews[key].refresh();
  }
  links.forEach(function (a) {
    a.addEventListener("click", function (event) { event.preventDefault(); show(a.dataset.tab); });
  });
  // Open on the tab the address names, else the first whose text was refused, else the first.
  var wanted = location.hash.replace("#tab-", "");
  var refused = form.querySelector(".tab-panel .errorlist");
  if (!linkFor(wanted) && refused) wanted = refused.closest(".tab-panel").dataset.tab;
  if (links.length) show(linkFor(wanted) ? wanted : links[0].dataset.tab);

  // --- the address from the title ----------------------------------------------------------
  var slug = form.querySelector("input[name=slug]");
  var title = form.querySelector("input[name=title]");
  function slugify(text) {
    // As Django's slugify: ASCII letters, digits, _ and -, spaces to hyphens, lower case.
    return text.normalize("NFKD").replace(/[^\x00-\x7F]/g, "").toLowerCase()
      .replace(/[^\w\s-]/g, "").replace(/[-\s]+/g, "-").replace(/^[-_]+|[-_]+$/g, "").slice(0, 120);
  }
  if (slug && title && !slug.disabled) {
    var byHand = slug.value !== "" && slug.value !== slugify(title.value);
    slug.addEventListener("input", function () { byHand = slug.value.trim() !== ""; });
    title.addEventListener("input", function () {
      if (!byHand) slug.value = slugify(title.value);
    });
  }

  // --- related articles: a search instead of the address box -------------------------------
  var picker = form.querySelector(".related-picker");
  var search = picker && picker.querySelector(".related-search");
  if (search) {
    var chosen = picker.querySelector("#id_related");
    if (!chosen) {
      chosen = document.createElement("div");
      chosen.id = "id_related";
      picker.insertBefore(chosen, picker.querySelector(".related-add"));
    }
    var input = search.querySelector("input");
    var said = search.querySelector("[role=status]");
    var results = search.querySelector(".related-results");
    var seq = 0;
    var wait = null;
    picker.querySelector(".related-add").hidden = true;
    search.hidden = false;

    var isChosen = function (id) {
      var box = chosen.querySelector('input[value="' + id + '"]');
      return box && box.checked;
    };
    var add = function (item) {
      var box = chosen.querySelector('input[value="' + item.id + '"]');
      if (!box) {
        var row = document.createElement("div");
        var label = document.createElement("label");
        box = document.createElement("input");
        box.type = "checkbox";
        box.name = "related";
        box.value = String(item.id);
        box.className = "related-chosen";
        box.id = "id_related_new_" + item.id;
        label.htmlFor = box.id;
        label.appendChild(box);
        label.appendChild(document.createTextNode(" " + item.title));
        row.appendChild(label);
        chosen.appendChild(row);
      }
      box.checked = true;
      box.dispatchEvent(new Event("change", { bubbles: true }));
      results.innerHTML = "";
      input.value = "";
      said.textContent = "Added “" + item.title + "”.";
      input.focus();
    };
    var find = function () {
      var q = input.value.trim();
      var mine = ++seq;
      results.innerHTML = "";
      if (q.length < 2) { said.textContent = "Type at least 2 characters of a title or address."; return; }
      var url = form.dataset.relatedUrl + "?q=" + encodeURIComponent(q) +
        (form.dataset.articleId ? "&exclude=" + form.dataset.articleId : "");
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (r) { return r.json().then(function (data) { return { ok: r.ok, data: data }; }); })
        .then(function (answer) {
          if (mine !== seq) return;
          if (!answer.ok) { said.textContent = answer.data.error || "The search failed."; return; }
          var found = answer.data.results.filter(function (item) { return !isChosen(item.id); });
          found.forEach(function (item) {
            var li = document.createElement("li");
            var button = document.createElement("button");
            button.type = "button";
            button.className = "link-button";
            button.textContent = item.title + (item.published ? "" : " (not published)");
            button.addEventListener("click", function () { add(item); });
            li.appendChild(button);
            li.appendChild(document.createTextNode(" " + item.slug));
            results.appendChild(li);
          });
          said.textContent = found.length ? found.length + " found: choose one to add." : "No article found.";
        })
        .catch(function () { if (mine === seq) said.textContent = "The search failed (no connection)."; });
    };
    input.addEventListener("input", function () { clearTimeout(wait); wait = setTimeout(find, 250); });
    input.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); clearTimeout(wait); find(); }
    });
  }

  // --- autosave and the leave-page warning -------------------------------------------------
  var LISTS = { related: true, topics: true };
  var KEPT = /^(text_\w+|title|slug|summary|sources|change_reason|change_weight|related|topics)$/;
  var baseInput = form.querySelector("input[name=base_version]");

  function state() {
    var fields = { related: [], topics: [] };
    new FormData(form).forEach(function (value, name) {
      if (!KEPT.test(name) || typeof value !== "string") return;
      if (LISTS[name]) { fields[name].push(value); } else { fields[name] = value; }
    });
    var base = baseInput && baseInput.value ? parseInt(baseInput.value, 10) : null;
    return JSON.stringify({ base_version: base, fields: fields });
  }

  var saved = state();  // what the server holds: the page as loaded, then each autosave
  var submitting = false;
  var inFlight = false;
  var sending = null;  // the body of the autosave in flight
  var again = false;
  var autosaveTimer = null;

  function say(text) { if (status) status.textContent = text; }

  function autosave(leaving) {
    clearTimeout(autosaveTimer);
    if (submitting) return;
    var body = state();
    if (body === saved) return;
    // Leaving fires both visibilitychange and pagehide: the second finds the same body on its
    // way and sends nothing. A different body is sent at once when leaving (last chance).
    if (inFlight && body === sending) return;
    if (inFlight && !leaving) { again = true; return; }
    inFlight = true;
    sending = body;
    // keepalive lets the request outlive the page, for bodies up to 64 KB.
    post(form.dataset.autosaveUrl, body, { "Content-Type": "application/json" },
      leaving && body.length < 60000)
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (data) {
          if (r.ok) {
            saved = body;
            say(data.message);
          } else if (r.status === 403 && !data.error) {
            say("Not saved: the page's security token has expired. Copy your text and reload.");
          } else {
            say("Not saved: " + (data.error || "the server answered " + r.status + "."));
          }
        });
      })
      .catch(function () { say("Not saved: no connection to the server. Your text is still in this page."); })
      .then(function () {
        inFlight = false;
        sending = null;
        if (again) { again = false; autosave(false); }
      });
  }

  function changed() {
    clearTimeout(autosaveTimer);
    autosaveTimer = setTimeout(function () { autosave(false); }, 2000);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") autosave(true);
  });
  window.addEventListener("pagehide", function () { autosave(true); });
  form.addEventListener("submit", function () { submitting = true; clearTimeout(autosaveTimer); });
  // Discarding the autosave leaves the page on purpose: no warning, and no autosave of the
  // changes being thrown away.
  document.querySelectorAll(".autosave-notice form").forEach(function (discard) {
    discard.addEventListener("submit", function () { submitting = true; clearTimeout(autosaveTimer); });
  });
  window.addEventListener("beforeunload", function (event) {
    if (submitting || state() === saved) return;
    event.preventDefault();
    event.returnValue = "";  // older browsers need a value to ask
  });
})();
