/* The deal panel. With htmx present the price preview follows the form as it changes, so the
 * "Preview price" button (there for visitors without JavaScript) steps aside. The busy state is
 * announced on the preview while a dry run is on its way.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("htmx:beforeRequest", function (event) {
    var preview = document.getElementById("deal-preview");
    if (preview && event.target && event.target.id === "deal-form") preview.setAttribute("aria-busy", "true");
  });

  document.addEventListener("htmx:afterSettle", function () {
    var preview = document.getElementById("deal-preview");
    if (preview) preview.removeAttribute("aria-busy");
  });
})();
