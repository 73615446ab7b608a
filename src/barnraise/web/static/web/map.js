/* Barnraise maps, on Leaflet. Configured from data-* attributes: the CSP forbids inline script.
 *
 *   data-map="search"  the search page: result markers, "Search this area", a place to search near
 *   data-map="listing" a listing's approximate area: a circle around the public point
 *   data-map="picker"  the listing form: a click sets the latitude and longitude inputs
 *
 * data-tile-url is the tile layer (settings.MAP_TILE_URL); empty draws on a plain background.
 * Elements marked data-js-only are hidden in the HTML and shown here, so pages without
 * JavaScript never show a dead map or button.
 */
(function () {
  "use strict";

  var ACCENT = "#b5432f";
  var WORLD = [20, 0];

  function showScriptOnly(root) {
    document.documentElement.classList.add("js");
    root.querySelectorAll("[data-js-only]").forEach(function (el) {
      el.hidden = false;
    });
  }

  function baseMap(el, options) {
    var map = L.map(el, Object.assign({ scrollWheelZoom: false }, options || {}));
    var url = el.dataset.tileUrl;
    if (url) {
      // A tile that fails (no network, a tile server down) leaves its square plain: the pins
      // and the page work the same on a plain ground.
      L.tileLayer(url, { maxZoom: 19, attribution: el.dataset.tileAttribution || "" })
        .on("tileerror", function (event) {
          event.tile.classList.add("map-tile-missing");
        })
        .addTo(map);
      el.classList.add("map-plain");
    } else {
      el.classList.add("map-plain");
    }
    L.control.scale({ imperial: false }).addTo(map);
    map.attributionControl.setPrefix("");
    return map;
  }

  function round(value) {
    return Math.round(value * 1e5) / 1e5;
  }

  function clamp(value, low, high) {
    return Math.min(high, Math.max(low, value));
  }

  function bboxOf(bounds) {
    return [
      round(clamp(bounds.getWest(), -180, 180)),
      round(clamp(bounds.getSouth(), -90, 90)),
      round(clamp(bounds.getEast(), -180, 180)),
      round(clamp(bounds.getNorth(), -90, 90)),
    ].join(",");
  }

  // Leaflet guesses its icon folder from leaflet.css, which fails once static files carry a hash
  // in their names: the page gives the URLs instead.
  function markerIcon(el) {
    return L.icon({
      iconUrl: el.dataset.iconUrl,
      iconRetinaUrl: el.dataset.iconRetinaUrl,
      shadowUrl: el.dataset.shadowUrl,
      iconSize: [25, 41],
      iconAnchor: [12, 41],
      popupAnchor: [1, -34],
      shadowSize: [41, 41],
    });
  }

  function popupFor(card) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = card.dataset.url;
    link.textContent = card.dataset.title;
    var price = document.createElement("div");
    price.textContent = card.dataset.price;
    box.appendChild(link);
    box.appendChild(price);
    return box;
  }

  function queryOf(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (value !== "" && key !== "cursor") params.append(key, value);
    });
    return params.toString();
  }

  function initSearch(el) {
    var form = document.getElementById("search-form");
    var button = document.getElementById("search-area");
    var map = baseMap(el).setView(WORLD, 2, { animate: false });
    var markers = L.featureGroup().addTo(map);
    var place = L.layerGroup().addTo(map);
    var programmatic = false;
    var mode = "area";

    function field(name) {
      return form.elements.namedItem(name);
    }

    function point() {
      var lat = parseFloat(field("lat").value);
      var lng = parseFloat(field("lng").value);
      return isNaN(lat) || isNaN(lng) ? null : L.latLng(lat, lng);
    }

    function drawPlace() {
      place.clearLayers();
      var here = point();
      var status = document.getElementById("near-status");
      if (here) {
        var km = parseFloat(field("radius_km").value) || 25;
        L.circle(here, { radius: km * 1000, color: ACCENT, weight: 1, fillOpacity: 0.05, interactive: false }).addTo(place);
        L.circleMarker(here, { radius: 5, color: ACCENT, fillOpacity: 1, interactive: false }).addTo(place);
      }
      if (status) status.textContent = here ? status.dataset.setText : status.dataset.emptyText;
    }

    function drawMarkers() {
      markers.clearLayers();
      document.querySelectorAll("#search-results .listing-card[data-lat]").forEach(function (card) {
        var lat = parseFloat(card.dataset.lat);
        var lng = parseFloat(card.dataset.lng);
        if (isNaN(lat) || isNaN(lng)) return;
        // The pin is the price, as on the card; hovering or focusing the card lights its pin.
        var label = document.createElement("span");
        label.className = "price-pin-label";
        label.textContent = card.dataset.pinPrice || card.dataset.price;
        var marker = L.marker([lat, lng], {
          icon: L.divIcon({ className: "price-pin", html: label, iconSize: null, iconAnchor: [0, 0] }),
          title: card.dataset.title,
          bubblingMouseEvents: false,
        }).bindPopup(popupFor(card));
        marker.addTo(markers);
        function light(on) {
          var icon = marker.getElement();
          if (icon) icon.classList.toggle("is-lit", on);
          if (on) marker.setZIndexOffset(1000);
          else marker.setZIndexOffset(0);
        }
        ["mouseenter", "focusin"].forEach(function (name) {
          card.addEventListener(name, function () { light(true); });
        });
        ["mouseleave", "focusout"].forEach(function (name) {
          card.addEventListener(name, function () { light(false); });
        });
      });
    }

    function fit() {
      programmatic = true;
      var bbox = field("bbox").value;
      var here = point();
      if (bbox) {
        var p = bbox.split(",").map(Number);
        map.fitBounds([[p[1], p[0]], [p[3], p[2]]], { animate: false });
      } else if (here && place.getLayers().length) {
        map.fitBounds(place.getLayers()[0].getBounds(), { animate: false });
      } else if (markers.getLayers().length) {
        map.fitBounds(markers.getBounds().pad(0.15), { maxZoom: 14, animate: false });
      } else {
        map.setView(WORLD, 2, { animate: false });
      }
      programmatic = false;
    }

    function offer(newMode) {
      mode = newMode;
      button.textContent = button.dataset[newMode === "area" ? "areaText" : "pointText"];
      button.hidden = false;
    }

    button.dataset.areaText = button.textContent;
    button.dataset.pointText = el.dataset.pointText || button.textContent;
    map.on("moveend", function () {
      if (!programmatic) offer("area");
    });
    // A point from the map or the device replaces a typed place name (which would win).
    function forgetPlaceName() {
      if (field("where")) field("where").value = "";
    }
    map.on("click", function (event) {
      forgetPlaceName();
      field("lat").value = round(event.latlng.lat);
      field("lng").value = round(((event.latlng.lng + 540) % 360) - 180);
      field("bbox").value = "";
      drawPlace();
      offer("point");
    });
    field("radius_km").addEventListener("change", drawPlace);

    button.addEventListener("click", function () {
      if (mode === "point") {
        form.requestSubmit();
        return;
      }
      field("bbox").value = bboxOf(map.getBounds());
      forgetPlaceName();
      field("lat").value = "";
      field("lng").value = "";
      drawPlace();
      var url = form.action + "?" + queryOf(form);
      button.hidden = true;
      if (!window.htmx) {
        window.location.assign(url);
        return;
      }
      window.htmx.ajax("GET", url, { target: "#search-results", swap: "outerHTML" }).then(function () {
        window.history.pushState({}, "", url);
        drawMarkers();
      });
    });
    window.addEventListener("popstate", function () {
      window.location.reload();
    });

    var nearMe = document.getElementById("near-me");
    if (nearMe && navigator.geolocation) {
      nearMe.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          forgetPlaceName();
          field("lat").value = round(position.coords.latitude);
          field("lng").value = round(position.coords.longitude);
          field("bbox").value = "";
          form.requestSubmit();
        });
      });
    }
    var clear = document.getElementById("near-clear");
    if (clear) {
      clear.addEventListener("click", function () {
        forgetPlaceName();
        field("lat").value = "";
        field("lng").value = "";
        drawPlace();
      });
    }

    // A map that was hidden (the phone's List view) measures itself once it is shown.
    document.addEventListener("barnraise:map-shown", function () {
      programmatic = true;
      map.invalidateSize({ animate: false });
      programmatic = false;
      fit();
    });

    drawPlace();
    drawMarkers();
    fit();
  }

  function initListing(el) {
    var here = L.latLng(parseFloat(el.dataset.lat), parseFloat(el.dataset.lng));
    var map = baseMap(el, { dragging: !L.Browser.mobile }).setView(here, 15, { animate: false });
    var circle = L.circle(here, {
      radius: parseFloat(el.dataset.radius) || 300, color: ACCENT, weight: 2, fillOpacity: 0.15, interactive: false,
    }).addTo(map);
    map.fitBounds(circle.getBounds().pad(0.6), { animate: false });
  }

  function initPicker(el) {
    var latInput = document.getElementById(el.dataset.latInput);
    var lngInput = document.getElementById(el.dataset.lngInput);
    var map = baseMap(el);
    var marker = null;

    function current() {
      var lat = parseFloat(latInput.value);
      var lng = parseFloat(lngInput.value);
      return isNaN(lat) || isNaN(lng) ? null : L.latLng(lat, lng);
    }

    function write(latlng) {
      latInput.value = latlng.lat.toFixed(6);
      lngInput.value = (((latlng.lng + 540) % 360) - 180).toFixed(6);
    }

    function show(latlng) {
      if (!latlng) return;
      if (!marker) {
        marker = L.marker(latlng, {
          icon: markerIcon(el), draggable: true, keyboard: true, title: el.getAttribute("aria-label") || "",
        });
        marker.on("dragend", function () {
          write(marker.getLatLng());
        });
        marker.addTo(map);
      } else {
        marker.setLatLng(latlng);
      }
    }

    map.on("click", function (event) {
      write(event.latlng);
      show(event.latlng);
    });
    [latInput, lngInput].forEach(function (input) {
      input.addEventListener("change", function () {
        var latlng = current();
        show(latlng);
        if (latlng) map.panTo(latlng);
      });
    });
    var start = current();
    map.setView(start || WORLD, start ? 14 : 2, { animate: false });
    show(start);

    // The address (or a town) is looked up and the pin dropped there, to be dragged into place.
    var note = el.parentElement.querySelector("#place-note");
    var address = document.getElementById(el.dataset.addressInput);
    var zone = document.getElementById(el.dataset.timezoneInput);
    function say(key) {
      if (note) note.textContent = note.dataset[key + "Text"] || "";
    }
    function find() {
      var text = address ? address.value.trim() : "";
      if (!text || !el.dataset.locateUrl) return;
      fetch(el.dataset.locateUrl + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
        .then(function (answer) {
          return answer.ok ? answer.json() : null;
        })
        .then(function (found) {
          if (!found) {
            say("missing");
            return;
          }
          var latlng = L.latLng(found.location.lat, found.location.lng);
          write(latlng);
          show(latlng);
          map.setView(latlng, found.precision === "address" ? 16 : 13);
          say(found.precision === "address" ? "address" : "town");
          // The zone follows the place unless the member chose one (UTC is the form's default).
          if (zone && found.time_zone && (!zone.value || zone.value === zone.defaultValue)) {
            zone.value = found.time_zone;
          }
        })
        .catch(function () {
          say("missing");
        });
    }
    var findButton = el.parentElement.querySelector("#find-place");
    if (findButton) findButton.addEventListener("click", find);
    if (address) {
      address.addEventListener("change", function () {
        if (!current()) find();
      });
    }
    map.on("click", function () {
      say("idle");
    });
    if (marker) say("idle");

    var locate = el.parentElement.querySelector("#locate-me");
    if (locate && navigator.geolocation) {
      locate.addEventListener("click", function () {
        navigator.geolocation.getCurrentPosition(function (position) {
          var latlng = L.latLng(position.coords.latitude, position.coords.longitude);
          write(latlng);
          show(latlng);
          map.setView(latlng, 15);
        });
      });
    }
  }

  var INIT = { search: initSearch, listing: initListing, picker: initPicker };

  function init(root) {
    showScriptOnly(root);
    if (!window.L) return;
    root.querySelectorAll("[data-map]").forEach(function (el) {
      if (el.dataset.mapReady) return;
      var setUp = INIT[el.dataset.map];
      if (!setUp) return;
      el.dataset.mapReady = "1";
      setUp(el);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
  });
  // Content swapped in by htmx (the listing form re-rendered for another category).
  document.addEventListener("htmx:load", function (event) {
    init(event.detail.elt.parentElement || document);
  });
})();
