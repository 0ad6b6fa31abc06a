// The article editor: tabs per audience and a live preview. The form works without this file:
// every text area is visible, and saving is a plain POST.
(function () {
  "use strict";
  var form = document.querySelector(".article-form");
  if (!form) return;
  var links = form.querySelectorAll(".tab-link");
  var panels = form.querySelectorAll(".tab-panel");
  function show(key) {
    panels.forEach(function (p) { p.hidden = p.dataset.tab !== key; });
    links.forEach(function (a) {
      var current = a.dataset.tab === key;
      a.classList.toggle("is-current", current);
      if (current) { a.setAttribute("aria-current", "true"); } else { a.removeAttribute("aria-current"); }
    });
  }
  links.forEach(function (a) {
    a.addEventListener("click", function (event) { event.preventDefault(); show(a.dataset.tab); });
  });
  if (links.length) show(links[0].dataset.tab);

  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  panels.forEach(function (panel) {
    var area = panel.querySelector("textarea");
    var target = panel.querySelector(".preview");
    var timer = null;
    function refresh() {
      var body = new URLSearchParams();
      body.append("text", area.value);
      fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
        body: body.toString(),
        credentials: "same-origin"
      }).then(function (r) { return r.text(); }).then(function (html) {
        // The server renders and sanitises; this is the same HTML readers would get.
        target.innerHTML = html;
      });
    }
    area.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 400); });
    if (area.value) refresh();
  });
})();
