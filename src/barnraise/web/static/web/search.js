/* The search form: the date window is read in the browser's own time zone.
 *
 * datetime-local inputs carry no offset. This fills the hidden `tz` field with the browser's
 * IANA zone so the server can make the times aware; without this script they are read as UTC,
 * and the page says so.
 */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("search-form");
    if (!form) return;
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      zone = "";
    }
    // Empty fields stay out of the address, so links and saved searches read cleanly.
    form.addEventListener("submit", function () {
      Array.prototype.forEach.call(form.elements, function (input) {
        if (input.name && input.value === "" && !input.disabled) {
          input.disabled = true;
          window.setTimeout(function () {
            input.disabled = false;
          }, 0);
        }
      });
    });
    // On a phone the filters are a sheet over the page: it opens only when asked, or when a
    // field in it needs fixing.
    var sheet = document.getElementById("more-filters");
    if (sheet && sheet.open && !sheet.dataset.hasErrors && window.matchMedia("(max-width: 767.98px)").matches) {
      sheet.open = false;
    }
    // The List / Map switch of a one-column screen.
    var layout = document.getElementById("search-layout");
    if (layout) {
      layout.querySelectorAll(".view-toggle button").forEach(function (button) {
        button.addEventListener("click", function () {
          var map = button.dataset.view === "map";
          layout.classList.toggle("show-map", map);
          layout.querySelectorAll(".view-toggle button").forEach(function (other) {
            other.setAttribute("aria-pressed", String(other.dataset.view === button.dataset.view));
          });
          var next = layout.querySelector('.view-toggle button[aria-pressed="false"]');
          if (next) next.focus();
          window.scrollTo(0, layout.offsetTop);
          if (map) document.dispatchEvent(new CustomEvent("barnraise:map-shown"));
        });
      });
    }
    if (!zone) return;
    form.elements.namedItem("tz").value = zone;
    var note = document.getElementById("window-zone");
    if (note && note.dataset.localText) note.textContent = note.dataset.localText.replace("ZONE", zone);
  });
})();
