// The article's workspace page: audience tabs over the rendered text, and select-to-comment.
// The page works without this file: every audience's text is shown one after another, threads
// sit beside (or below) their passage, and the form under "Review comments" takes a pasted quote.
//
// A selection is sent as its place in the panel's plain text: the text nodes of the rendered
// body in document order, leaving out glossary tooltips, the "Words explained" list and the
// comment threads placed in the text, counted in code points. The server (articles/sourcemap.py)
// counts the same way, checks the words are there, and anchors them to the Markdown.
(function () {
  "use strict";
  var section = document.getElementById("article-text");
  if (!section) return;
  var SKIP = ".glossary-tip, .glossary-list, .margin-threads, .comment-on-selection";
  var tabs = Array.prototype.slice.call(section.querySelectorAll('[role="tab"]'));
  var panels = Array.prototype.slice.call(section.querySelectorAll('[role="tabpanel"]'));
  var button = section.querySelector(".comment-on-selection");
  if (!button) return;
  var commentForm = document.getElementById("comment-form");
  if (!tabs.length) return;
  section.classList.add("is-enhanced");

  // --- tabs (the WAI-ARIA tabs pattern: arrows, Home and End move between them) ---
  function choose(tab, focus) {
    tabs.forEach(function (t) {
      var on = t === tab;
      t.setAttribute("aria-selected", on ? "true" : "false");
      t.tabIndex = on ? 0 : -1;
      document.getElementById(t.getAttribute("aria-controls")).hidden = !on;
    });
    if (focus) tab.focus();
  }
  tabs.forEach(function (tab, i) {
    tab.addEventListener("click", function (event) {
      event.preventDefault();
      choose(tab, false);
    });
    tab.addEventListener("keydown", function (event) {
      var next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      else if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      else if (event.key === "Home") next = tabs[0];
      else if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) {
        event.preventDefault();
        choose(next, true);
      }
    });
  });
  // The address may point at a thread in a panel (after a reply): open that panel.
  var target = location.hash ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  var holder = target ? target.closest('[role="tabpanel"]') : null;
  choose(holder ? tabs[panels.indexOf(holder)] : tabs[0], false);
  if (holder) target.scrollIntoView();

  // --- where a selection is, in the panel's plain text ---
  function textNodes(body) {
    var walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        return node.parentElement.closest(SKIP) ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT;
      }
    });
    var nodes = [];
    var node;
    while ((node = walker.nextNode())) nodes.push(node);
    return nodes;
  }
  function codePoints(text) {
    return Array.from(text).length;
  }
  function offsetOf(nodes, container, offset) {
    var point = document.createRange();
    point.setStart(container, offset);
    var total = 0;
    for (var i = 0; i < nodes.length; i++) {
      var node = nodes[i];
      if (node === container) return total + codePoints(node.data.slice(0, offset));
      if (point.comparePoint(node, node.data.length) > 0) break;
      total += codePoints(node.data);
    }
    return total;
  }
  function elementOf(node) {
    return node.nodeType === Node.ELEMENT_NODE ? node : node.parentElement;
  }
  function bodyOf(node) {
    var element = elementOf(node);
    if (!element || element.closest(SKIP)) return null;
    return element.closest("[data-text]");
  }
  function readSelection() {
    var selection = window.getSelection();
    if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
    var range = selection.getRangeAt(0);
    var body = bodyOf(range.startContainer);
    if (!body || body !== bodyOf(range.endContainer)) return null;
    var nodes = textNodes(body);
    var chars = Array.from(nodes.map(function (n) { return n.data; }).join(""));
    var start = offsetOf(nodes, range.startContainer, range.startOffset);
    var end = offsetOf(nodes, range.endContainer, range.endOffset);
    while (start < end && /\s/.test(chars[start])) start++;
    while (end > start && /\s/.test(chars[end - 1])) end--;
    if (start >= end) return null;
    var panel = body.closest('[role="tabpanel"]');
    return {
      body: body,
      panel: panel,
      range: range.cloneRange(),
      audience: panel.dataset.audience,
      start: start,
      end: end,
      quote: chars.slice(start, end).join("")
    };
  }

  // --- the button, then the form in the margin ---
  var pending = null;
  function hideButton() {
    button.hidden = true;
  }
  // The button goes right after the block where the selection ends, in document order: the
  // next Tab from the selection reaches it, before the threads' reply boxes further on. It is
  // positioned against the panel (the nearest positioned box), under the selection.
  function showButton(selected) {
    var block = blockOf(selected.body, selected.range.endContainer);
    if (!block || block === selected.body) {
      if (button.parentElement !== selected.panel) selected.panel.appendChild(button);
    } else if (block.nextSibling !== button) {
      block.after(button);
    }
    var rect = selected.range.getBoundingClientRect();
    var box = selected.panel.getBoundingClientRect();
    button.style.top = Math.round(rect.bottom - box.top + 6) + "px";
    button.style.left = Math.round(Math.max(rect.left - box.left, 0)) + "px";
    button.hidden = false;
  }
  function update() {
    var selected = readSelection();
    if (selected) {
      pending = selected;
      showButton(selected);
    } else if (document.activeElement !== button) {
      hideButton();
    }
  }
  // While the mouse drags a selection the button waits for the mouse to let go: moved in the
  // text under the pointer, it would pull the selection to where it stands.
  var dragging = false;
  document.addEventListener("mousedown", function (event) {
    dragging = event.button === 0 && !button.contains(event.target);
    if (dragging) hideButton();
  });
  document.addEventListener("mouseup", function () {
    if (!dragging) return;
    dragging = false;
    update();
  });
  document.addEventListener("selectionchange", function () {
    if (!dragging) update();
  });
  // Pressing the button must not drop the selection it is about.
  button.addEventListener("mousedown", function (event) { event.preventDefault(); });
  button.addEventListener("click", function () {
    if (pending) openForm(pending);
  });
  // The shortcut the button's label announces (aria-keyshortcuts): the form at once, from
  // wherever the selection was made. `code` is the key's place, whatever the layout.
  document.addEventListener("keydown", function (event) {
    // Tab from the text just selected (the click focused its panel, or nothing) goes to the
    // button first, not to the first link of the panel.
    if (event.key === "Tab" && !event.shiftKey && !button.hidden && pending &&
        (document.activeElement === pending.panel || document.activeElement === document.body)) {
      event.preventDefault();
      button.focus();
      return;
    }
    if (!(event.altKey && event.shiftKey && !event.ctrlKey && !event.metaKey && event.code === "KeyC")) return;
    var selected = readSelection();
    if (!selected) return;
    event.preventDefault();
    pending = selected;
    openForm(selected);
  });

  function blockOf(body, node) {
    var element = elementOf(node);
    if (element === body) element = body.children[0] || body;
    while (element && element.parentElement && element.parentElement !== body &&
           !element.parentElement.classList.contains("anchored-block")) {
      element = element.parentElement;
    }
    return element;
  }
  function marginFor(selected) {
    var block = blockOf(selected.body, selected.range.startContainer);
    if (!block || block === selected.body) return selected.body;
    var wrapper = block.parentElement;
    if (!wrapper.classList.contains("anchored-block")) {
      wrapper = document.createElement("div");
      wrapper.className = "anchored-block";
      block.parentElement.insertBefore(wrapper, block);
      wrapper.appendChild(block);
    }
    selected.body.classList.add("has-margin");
    return wrapper;
  }
  // The passage being commented on stays marked while the form has the focus (the document's
  // selection moves into the text area), where the browser has the CSS Custom Highlight API.
  function rangeAt(body, start, end) {
    var range = document.createRange();
    var offset = 0;
    textNodes(body).forEach(function (node) {
      var chars = Array.from(node.data);
      var units = function (n) { return chars.slice(0, n).join("").length; };
      if (start >= offset && start <= offset + chars.length) range.setStart(node, units(start - offset));
      if (end >= offset && end <= offset + chars.length) range.setEnd(node, units(end - offset));
      offset += chars.length;
    });
    return range;
  }
  function markPending(selected) {
    if (window.CSS && CSS.highlights && window.Highlight) {
      CSS.highlights.set("pending-comment", new Highlight(rangeAt(selected.body, selected.start, selected.end)));
    }
  }
  function closeForm() {
    var open = section.querySelector(".selection-margin");
    if (open) open.remove();
    if (window.CSS && CSS.highlights) CSS.highlights.delete("pending-comment");
  }
  // The margin form posts what the page's own comment form posts (same address, same CSRF
  // token), plus where the selection is.
  function element(tag, attributes, children) {
    var node = document.createElement(tag);
    Object.keys(attributes).forEach(function (name) { node.setAttribute(name, attributes[name]); });
    (children || []).forEach(function (child) { node.append(child); });
    return node;
  }
  function selectionForm() {
    var form = element("form", {method: "post", action: commentForm.getAttribute("action"), "class": "selection-comment stacked-form"});
    form.append(commentForm.querySelector('input[name="csrfmiddlewaretoken"]').cloneNode());
    ["audience", "quote", "start", "end", "version"].forEach(function (name) {
      form.append(element("input", {type: "hidden", name: name}));
    });
    form.append(
      element("p", {"class": "meta"}, ["On \u201c", element("span", {"class": "selection-quote"}), "\u201d"]),
      element("label", {"for": "selection-body"}, ["Comment"]),
      element("textarea", {id: "selection-body", name: "body", rows: "3", required: ""}),
      element("p", {}, [
        element("button", {type: "submit"}, ["Add comment"]), " ",
        element("button", {type: "button", "class": "button-secondary", "data-cancel": ""}, ["Cancel"])
      ])
    );
    return form;
  }
  // Closing the form gives back what was there before it: the selection, and the focus on the
  // button that opened it (so Enter opens it again, Tab goes on through the text).
  function giveBack(selected) {
    closeForm();
    // Rebuilt from the offsets: moving the block beside its margin collapsed the saved range.
    selected.range = rangeAt(selected.body, selected.start, selected.end);
    var selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(selected.range);
    pending = selected;
    showButton(selected);
    button.focus();
  }
  function openForm(selected) {
    closeForm();
    var form = selectionForm();
    var values = {
      audience: selected.audience,
      quote: selected.quote,
      start: String(selected.start),
      end: String(selected.end),
      version: section.dataset.version
    };
    Object.keys(values).forEach(function (name) {
      form.querySelector('input[name="' + name + '"]').value = values[name];
    });
    form.querySelector(".selection-quote").textContent = selected.quote;
    // Into the margin beside the passage's block, with the threads already there if any.
    var place = marginFor(selected);
    var margin = place.querySelector(":scope > .margin-threads");
    var holder = document.createElement(margin ? "div" : "aside");
    holder.className = margin ? "selection-margin" : "margin-threads selection-margin";
    holder.setAttribute("aria-label", "New comment on the selected passage");
    if (margin) holder.setAttribute("role", "group");
    holder.appendChild(form);
    (margin || place).appendChild(holder);
    form.querySelector("[data-cancel]").addEventListener("click", function () {
      giveBack(selected);
    });
    form.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        event.preventDefault();
        giveBack(selected);
      }
    });
    hideButton();
    markPending(selected);
    form.querySelector("textarea").focus();
  }
})();
