/* The listing form. Changing the kind or category re-renders the form through htmx (see the
 * hx-* attributes); this keeps the keyboard where it was and, after a failed save, takes it to
 * the first field with an error.
 */
(function () {
  "use strict";

  var lastFocused = null;

  document.addEventListener("htmx:beforeRequest", function (event) {
    var active = document.activeElement;
    lastFocused = active && active.id && event.target.closest("#listing-form") ? active.id : null;
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!lastFocused) return;
    var again = document.getElementById(lastFocused);
    if (again && document.activeElement !== again) again.focus();
    lastFocused = null;
  });

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
