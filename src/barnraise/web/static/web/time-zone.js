/* The browser's time zone, told to the server once: a cookie ("tz", an IANA name such as
 * Europe/Paris) that the pages read to show times that are not tied to a place in the
 * visitor's own zone, until the member chooses one in their settings (docs/architecture.md,
 * "Time zones"). Set again only when the browser's zone changes (a trip); no request is sent.
 */
(function () {
  "use strict";

  var zone;
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\-\/]+$/.test(zone)) return;
  var current = document.cookie.match(/(?:^|;\s*)tz=([^;]*)/);
  if (current && current[1] === zone) return;
  var secure = window.location.protocol === "https:" ? "; Secure" : "";
  document.cookie = "tz=" + zone + "; Path=/; Max-Age=31536000; SameSite=Lax" + secure;
})();
