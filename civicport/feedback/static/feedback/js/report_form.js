/* Report form: a Leaflet map to drop a pin (works without tiles: a plain grid), and a live
   category/agency suggestion from the description. No inline scripts (CSP). */
(function () {
  "use strict";

  function pinMap() {
    var el = document.getElementById("fb-pick-map");
    if (!el || !window.L) { return; }
    var c = (el.dataset.centre || "20.86,106.55,10").split(",").map(Number);
    var map = L.map(el).setView([c[0], c[1]], c[2]);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    var lat = document.getElementById("r-lat"), lon = document.getElementById("r-lon");
    var label = document.getElementById("r-pin-label");
    var marker = null;
    function place(latlng) {
      if (marker) { marker.setLatLng(latlng); } else { marker = L.marker(latlng).addTo(map); }
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      label.textContent = lat.value + ", " + lon.value;
    }
    if (lat.value && lon.value) { place(L.latLng(Number(lat.value), Number(lon.value))); }
    map.on("click", function (e) { place(e.latlng); });
  }

  function suggestions() {
    var form = document.querySelector("form[data-suggest-url]");
    var text = document.getElementById("r-description");
    var out = document.querySelector("[data-testid=suggestion]");
    var category = document.getElementById("r-category");
    var ward = document.getElementById("r-ward");
    if (!form || !text || !out) { return; }
    var timer = null, userChose = !!category.value;
    category.addEventListener("change", function () { userChose = true; });
    function ask() {
      if (text.value.trim().length < 10) { out.hidden = true; return; }
      var url = form.dataset.suggestUrl + "?text=" + encodeURIComponent(text.value) +
        "&ward=" + encodeURIComponent(ward ? ward.value : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (s) {
          if (!s.category) { out.hidden = true; return; }
          out.textContent = (document.documentElement.lang === "en" ? "Suggested: " : "Gợi ý: ") +
            s.category_name + " → " + s.agency_name;
          out.dataset.category = s.category;
          out.hidden = false;
          if (!userChose) { category.value = s.category; }
        }).catch(function () { out.hidden = true; });
    }
    function later() { clearTimeout(timer); timer = setTimeout(ask, 350); }
    text.addEventListener("input", later);
    if (ward) { ward.addEventListener("change", later); }
    if (text.value) { ask(); }
  }

  document.addEventListener("DOMContentLoaded", function () { pinMap(); suggestions(); });
})();
