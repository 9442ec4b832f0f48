/* Food-tour maps: the clustered venue map, a venue's own pin, a tour's route.
   Everything it needs comes from data-* attributes (the CSP allows no inline script).
   With no tile URL the map draws its markers on a blank background; the list view below
   the map works without this file at all. */
(function () {
  "use strict";

  function baseMap(el) {
    var centre = (el.dataset.centre || "20.86,106.68").split(",").map(Number);
    var map = L.map(el, { scrollWheelZoom: false, maxZoom: 19 }).setView(centre, Number(el.dataset.zoom || 13));
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: el.dataset.attribution || "" }).addTo(map);
    } else {
      el.classList.add("no-tiles");
    }
    return map;
  }

  function esc(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function popup(feature) {
    var p = feature.properties;
    var rating = p.c ? "★ " + p.r.toFixed(1) + " (" + p.c + ")" : "";
    return '<a href="/am-thuc/dia-diem/' + feature.id + '/">' + esc(p.n) + "</a><br>" +
      esc(rating) + " " + "₫".repeat(p.p || 1);
  }

  function venueMap(el) {
    var map = baseMap(el);
    var cluster = L.markerClusterGroup({ chunkedLoading: true });
    map.addLayer(cluster);
    function load(query) {
      var url = el.dataset.geojson + (query ? "?" + query : "");
      fetch(url, { headers: { Accept: "application/geo+json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          cluster.clearLayers();
          var markers = data.features.map(function (f) {
            var c = f.geometry.coordinates;
            return L.marker([c[1], c[0]], { title: f.properties.n }).bindPopup(popup(f));
          });
          cluster.addLayers(markers);
          if (markers.length && query) {
            map.fitBounds(cluster.getBounds(), { maxZoom: 16, padding: [20, 20] });
          }
        });
    }
    var results = document.querySelector("[data-query]");
    load(results ? results.dataset.query : "");
    document.body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target && event.detail.target.id === "tourism-results") {
        var node = document.querySelector("[data-query]");
        load(node ? node.dataset.query : "");
      }
    });
  }

  function singleMap(el) {
    var point = el.dataset.single.split(",").map(Number);
    el.dataset.centre = el.dataset.single;
    var map = baseMap(el);
    L.marker(point, { title: el.dataset.name }).addTo(map);
  }

  function routeMap(el) {
    var stops = JSON.parse(el.dataset.route || "[]");
    var map = baseMap(el);
    var points = stops.map(function (s, i) {
      L.marker([s.lat, s.lon], { title: (i + 1) + ". " + s.name })
        .bindPopup('<a href="' + esc(s.url) + '">' + (i + 1) + ". " + esc(s.name) + "</a>")
        .addTo(map);
      return [s.lat, s.lon];
    });
    if (points.length) {
      var line = L.polyline(points, { weight: 4 }).addTo(map);
      map.fitBounds(line.getBounds(), { padding: [30, 30] });
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("tourism-map");
    if (!el || typeof L === "undefined") { return; }
    if (el.dataset.single) { singleMap(el); }
    else if (el.dataset.route) { routeMap(el); }
    else { venueMap(el); }
  });
})();
