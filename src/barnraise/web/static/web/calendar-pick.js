// The calendar of free dates as the date picker (listing page, bookings by the day or night).
//
// The form's own date fields hold the choice: a tap on a free day sets the start, a second tap
// on a later day sets the end, a third starts again. The end may fall on any day as long as
// every day from the start up to it (the end itself not included) is free; days seen booked up
// or closed in any month shown so far are remembered, so a range never crosses one. Filling a
// field sends it a "change" event, which the form's htmx turns into the price.
// Works again on each month htmx swaps in; without JavaScript the buttons stay disabled and the
// date fields work as they are.
(function () {
  "use strict";

  var blocked = Object.create(null); // "YYYY-MM-DD" of days seen full or closed

  function fields() {
    var start = document.getElementById("deal-start") || document.getElementById("quote-start");
    var end = document.getElementById("deal-end") || document.getElementById("quote-end");
    return start && end && start.type === "date" ? { start: start, end: end } : null;
  }

  function state(cell) {
    return cell.closest("td").getAttribute("data-state");
  }

  function crossesBlocked(from, to) {
    // Every day in [from, to) must be free; ISO dates compare as strings.
    for (var day in blocked) {
      if (day >= from && day < to) return true;
    }
    return false;
  }

  function words(section, name, dayName) {
    return (section.getAttribute(name) || "%s").replace("%s", dayName);
  }

  function paint(section) {
    var form = fields();
    if (!form) return;
    var start = form.start.value;
    var end = form.end.value;
    var choosingEnd = Boolean(start) && !end;
    var buttons = section.querySelectorAll("button.free-day-pick");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      var day = button.getAttribute("data-date");
      var free = state(button) === "free";
      var canEnd = choosingEnd && day > start && !crossesBlocked(start, day);
      var enabled = canEnd || free;
      button.disabled = !enabled;
      var td = button.closest("td");
      td.classList.toggle("picked-start", day === start);
      td.classList.toggle("picked-end", day === end);
      td.classList.toggle("picked-between", Boolean(start && end) && day > start && day < end);
      button.setAttribute("aria-pressed", day === start || day === end ? "true" : "false");
      var name = button.getAttribute("data-day-name");
      var label;
      if (day === start) label = words(section, "data-pick-chosen-start", name);
      else if (day === end) label = words(section, "data-pick-chosen-end", name);
      else if (!enabled) label = button.getAttribute("data-label");
      else label = words(section, canEnd ? "data-pick-end" : "data-pick-start", name);
      // The name is the button's own hidden words (the day and seat count it shows are hidden
      // from screen readers), not an aria-label that would not contain the visible text.
      var spoken = button.querySelector(".visually-hidden");
      if (spoken) spoken.textContent = label;
    }
  }

  function set(field, value) {
    field.value = value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function pick(section, button) {
    var form = fields();
    if (!form || button.disabled) return;
    var day = button.getAttribute("data-date");
    var start = form.start.value;
    if (start && !form.end.value && day > start && !crossesBlocked(start, day)) {
      set(form.end, day);
    } else {
      form.end.value = "";
      set(form.start, day);
    }
    paint(section);
    var again = section.querySelector('button.free-day-pick[data-date="' + day + '"]');
    if (again) again.focus();
  }

  function setUp(section) {
    if (!section || section.getAttribute("data-picking") === "on") return;
    section.setAttribute("data-picking", "on");
    var cells = section.querySelectorAll("td[data-state]");
    for (var i = 0; i < cells.length; i++) {
      var cellState = cells[i].getAttribute("data-state");
      if (cellState === "full" || cellState === "closed") blocked[cells[i].getAttribute("data-date")] = true;
    }
    section.addEventListener("click", function (event) {
      var button = event.target.closest("button.free-day-pick");
      if (button) pick(section, button);
    });
    paint(section);
  }

  function current() {
    return document.querySelector("#free-dates.free-dates-pick");
  }

  function start() {
    setUp(current());
    document.body.addEventListener("htmx:afterSwap", function () {
      setUp(current());
    });
    // Dates typed into the form's own fields show on the calendar too.
    document.addEventListener("change", function (event) {
      var form = fields();
      if (form && (event.target === form.start || event.target === form.end) && current()) paint(current());
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
