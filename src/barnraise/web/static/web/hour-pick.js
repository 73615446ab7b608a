// Booking by the hour on the listing page: a tap on a free day of the calendar loads that
// day's start times (GET /listings/<id>/times/?day=…, in the listing's zone); choosing a start
// time and a length fills the booking form's own "From" and "Until" fields, whose "change"
// event the form's htmx turns into the price. Without JavaScript the day buttons stay disabled
// and the form's date and time fields work as they are.
(function () {
  "use strict";

  var chosenDay = "";

  function fields() {
    var start = document.getElementById("deal-start") || document.getElementById("quote-start");
    var end = document.getElementById("deal-end") || document.getElementById("quote-end");
    return start && end ? { start: start, end: end } : null;
  }

  function words(section, name, dayName) {
    return (section.getAttribute(name) || "%s").replace("%s", dayName);
  }

  function paint(section) {
    var buttons = section.querySelectorAll("button.free-day-pick");
    for (var i = 0; i < buttons.length; i++) {
      var button = buttons[i];
      var day = button.getAttribute("data-date");
      var free = button.closest("td").getAttribute("data-state") === "free";
      button.disabled = !free;
      button.closest("td").classList.toggle("picked-start", day === chosenDay);
      button.setAttribute("aria-pressed", day === chosenDay ? "true" : "false");
      var name = button.getAttribute("data-day-name");
      var spoken = button.querySelector(".visually-hidden");
      if (!spoken) continue;
      if (day === chosenDay) spoken.textContent = words(section, "data-pick-chosen-day", name);
      else if (free) spoken.textContent = words(section, "data-pick-day", name);
      else spoken.textContent = button.getAttribute("data-label");
    }
  }

  // "2026-03-03T15:00" plus hours, as the local wall-clock time the form's field takes.
  function later(value, hours) {
    var parts = value.split(/[-T:]/).map(Number);
    var moment = new Date(Date.UTC(parts[0], parts[1] - 1, parts[2], parts[3], parts[4]));
    moment.setUTCHours(moment.getUTCHours() + hours);
    return moment.toISOString().slice(0, 16);
  }

  function set(field, value) {
    field.value = value;
    field.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function choose(times) {
    var picked = times.querySelector('input[name="pick-start"]:checked');
    var length = times.querySelector("#pick-hours");
    var form = fields();
    if (!picked || !length || !form) return;
    var allowed = picked.getAttribute("data-hours").split(",");
    length.disabled = false;
    var keep = false;
    for (var i = 0; i < length.options.length; i++) {
      var fits = allowed.indexOf(length.options[i].value) !== -1;
      length.options[i].disabled = !fits;
      if (fits && length.options[i].selected) keep = true;
    }
    if (!keep) length.value = allowed[0];
    var hours = Number(length.value);
    form.start.value = picked.value;
    set(form.end, later(picked.value, hours));
    var chosen = times.querySelector(".pick-chosen");
    if (chosen) {
      chosen.hidden = false;
      var option = length.options[length.selectedIndex];
      chosen.querySelector(".pick-summary").textContent = picked.getAttribute("data-summary") + " · " + option.textContent.trim();
    }
  }

  function load(section, day) {
    chosenDay = day;
    paint(section);
    var url = section.getAttribute("data-times-url") + "?day=" + encodeURIComponent(day);
    window.htmx.ajax("GET", url, { target: "#pick-times", swap: "outerHTML" }).then(function () {
      var first = document.querySelector('#pick-times input[name="pick-start"]');
      if (first) first.focus();
    });
  }

  function setUp(section) {
    if (!section || section.getAttribute("data-picking") === "on") return;
    section.setAttribute("data-picking", "on");
    section.addEventListener("click", function (event) {
      var button = event.target.closest("button.free-day-pick");
      if (button && !button.disabled) load(section, button.getAttribute("data-date"));
    });
    paint(section);
  }

  function current() {
    return document.querySelector("#free-dates.free-dates-hours");
  }

  function start() {
    if (!current() || !window.htmx) return;
    setUp(current());
    document.body.addEventListener("htmx:afterSwap", function () {
      setUp(current());
    });
    document.addEventListener("change", function (event) {
      var times = event.target.closest && event.target.closest("#pick-times");
      if (times && (event.target.name === "pick-start" || event.target.id === "pick-hours")) choose(times);
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
