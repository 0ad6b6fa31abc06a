// Reader conveniences; the page works fully without them.
// 1. First visit (no audience chosen yet): a non-blocking prompt at the top of the article.
// 2. Switching audience keeps the reader's place: the scroll position, as a share of the page,
//    is carried over to the other audience's version.
(function () {
  "use strict";
  var PLACE = "editorial:place";
  var hasChoice = document.cookie.split("; ").some(function (c) { return c.indexOf("audience=") === 0; });
  var dismissed = false;
  try { dismissed = window.sessionStorage.getItem("editorial:prompt-dismissed") === "1"; } catch (e) {}
  var prompt = document.getElementById("audience-prompt");
  if (prompt && !hasChoice && !dismissed) {
    prompt.hidden = false;
    var dismiss = prompt.querySelector("[data-dismiss-prompt]");
    dismiss.addEventListener("click", function () {
      prompt.hidden = true;
      try { window.sessionStorage.setItem("editorial:prompt-dismissed", "1"); } catch (e) {}
    });
  }
  document.querySelectorAll(".audience-chooser a, .audience-prompt a").forEach(function (link) {
    link.addEventListener("click", function () {
      var height = document.documentElement.scrollHeight - window.innerHeight;
      try { window.sessionStorage.setItem(PLACE, String(height > 0 ? window.scrollY / height : 0)); } catch (e) {}
    });
  });
  var saved = null;
  try { saved = window.sessionStorage.getItem(PLACE); window.sessionStorage.removeItem(PLACE); } catch (e) {}
  if (saved !== null) {
    var share = parseFloat(saved);
    window.addEventListener("load", function () {
      var height = document.documentElement.scrollHeight - window.innerHeight;
      if (share > 0 && height > 0) window.scrollTo(0, Math.round(share * height));
    });
  }
})();
