/* The listing wizard's details and price steps: a new listing starts in the member's own time
 * zone, and after a failed save the keyboard goes to the first field with an error.
 */
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("listing-form");
    if (!form) return;
    // A new listing starts in the member's own time zone rather than UTC.
    var zoneInput = form.elements.namedItem("timezone");
    if (form.hasAttribute("data-new") && zoneInput && zoneInput.value === "UTC") {
      try {
        zoneInput.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
      } catch (error) {
        zoneInput.value = "UTC";
      }
    }
    var invalid = form.querySelector("[aria-invalid='true']");
    if (invalid) invalid.focus();
  });
})();
