/* The visitor's own time zone, from their first page on (docs/architecture.md, "Time zones").
 *
 * Times not tied to a place are shown in the viewer's zone: the member's setting, else the
 * browser's, else the marketplace's. The server learns the browser's zone from the "tz" cookie
 * (an IANA name such as Europe/Paris) this script sets, so the page it answers before the
 * cookie exists (a visitor's first, or the first after a trip) is in another zone. This script
 * mends that page: the server marks each such time `<time datetime="…" data-viewer="time">`
 * (`clock`, `date`), and when the zone it used is not the browser's (and not one the member
 * chose), their text is written again in the browser's zone, in the site's one format and with
 * the labels the server uses (zone-labels.js), here and in what htmx swaps in later. Without
 * script the server's text stays, labelled with its zone. The cookie is set again only when
 * the browser's zone changes; no request is sent.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;

  var current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (!current || current[1] !== zone) {
    var secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = "tz=" + zone + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
  }

  if (!script || script.hasAttribute("data-zone-chosen")) return;
  if (script.getAttribute("data-zone") === zone) return;
  var days = (script.getAttribute("data-days") || "").split("|");
  var months = (script.getAttribute("data-months") || "").split("|");
  var city = script.getAttribute("data-city") || "{city}";
  if (days.length !== 7 || months.length !== 12) return;

  var labels = {};
  var table = window.barnraiseZoneLabels || {};
  Object.keys(table).forEach(function (key) {
    var names = {};
    key.split(",").forEach(function (pair) {
      var at = pair.indexOf("=");
      names[pair.slice(0, at)] = pair.slice(at + 1);
    });
    table[key].split(" ").forEach(function (name) {
      labels[name] = names;
    });
  });

  var parts;
  try {
    parts = new Intl.DateTimeFormat("en-US", {
      timeZone: zone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  } catch (error) {
    return;
  }

  // The wall clock in the browser's zone at `when`, and that zone's offset then (minutes).
  function local(when) {
    var found = {};
    parts.formatToParts(when).forEach(function (part) {
      found[part.type] = parseInt(part.value, 10);
    });
    found.hour = found.hour % 24;
    var wall = Date.UTC(found.year, found.month - 1, found.day, found.hour, found.minute, found.second);
    found.offset = Math.round((wall - Math.floor(when.getTime() / 1000) * 1000) / 60000);
    found.weekday = (new Date(Date.UTC(found.year, found.month - 1, found.day)).getUTCDay() + 6) % 7;
    return found;
  }

  function two(number) {
    return (number < 10 ? "0" : "") + number;
  }

  // As moments.py: "Tue 3 Mar" (the year only when it is not this one), "15:00", and the
  // zone's abbreviation or else its city ("Dubai time").
  function day(at, thisYear) {
    var text = days[at.weekday] + " " + at.day + " " + months[at.month - 1];
    return at.year === thisYear ? text : text + " " + at.year;
  }

  function label(at) {
    var names = labels[zone];
    if (names && names[String(at.offset)]) return names[String(at.offset)];
    return city.replace("{city}", zone.split("/").pop().replace(/_/g, " "));
  }

  function rewrite() {
    var thisYear = local(new Date()).year;
    var times = document.querySelectorAll("time[data-viewer][datetime]");
    Array.prototype.forEach.call(times, function (element) {
      var when = new Date(element.getAttribute("datetime"));
      if (isNaN(when.getTime())) return;
      var at = local(when);
      var clock = two(at.hour) + ":" + two(at.minute) + " " + label(at);
      var kind = element.getAttribute("data-viewer");
      var text = kind === "date" ? day(at, thisYear) : kind === "clock" ? clock : day(at, thisYear) + ", " + clock;
      if (element.textContent !== text) element.textContent = text;
    });
  }

  rewrite();
  document.addEventListener("htmx:afterSwap", rewrite);
  document.addEventListener("htmx:oobAfterSwap", rewrite);
})();
