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
    if (!zone) return;
    form.elements.namedItem("tz").value = zone;
    var note = document.getElementById("window-zone");
    if (note && note.dataset.localText) note.textContent = note.dataset.localText.replace("ZONE", zone);
  });
})();
