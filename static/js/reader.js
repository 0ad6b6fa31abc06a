// Reader conveniences; the page works fully without them.
// Switching audience keeps the reader's place: the scroll position, as a share of the page,
// is carried over to the other audience's version.
(function () {
  "use strict";
  var PLACE = "editorial:place";
  document.querySelectorAll(".audience-chooser a").forEach(function (link) {
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
