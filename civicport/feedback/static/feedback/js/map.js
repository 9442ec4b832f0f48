/* Public map: compact rows [id, lat, lon, category index, open] from the map-data endpoint,
   clustered with Leaflet.markercluster. Works with no tile server configured. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var el = document.getElementById("fb-map");
    if (!el || !window.L) { return; }
    var c = (el.dataset.centre || "20.86,106.55,10").split(",").map(Number);
    var map = L.map(el, { preferCanvas: true }).setView([c[0], c[1]], c[2]);
    if (el.dataset.tiles) {
      L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
    }
    var names = {};
    (el.dataset.names || "").split("|").forEach(function (pair) {
      var i = pair.indexOf("=");
      if (i > 0) { names[pair.slice(0, i)] = pair.slice(i + 1); }
    });
    var cluster = L.markerClusterGroup({ chunkedLoading: true });
    map.addLayer(cluster);
    var select = document.getElementById("map-category");
    var count = document.querySelector("[data-testid=map-count]");
    function load() {
      var url = el.dataset.url + (select.value ? "?category=" + encodeURIComponent(select.value) : "");
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); })
        .then(function (data) {
          cluster.clearLayers();
          var markers = data.points.map(function (p) {
            var code = data.categories[p[3]] || "";
            var m = L.marker([p[1], p[2]], { title: "#" + p[0] });
            m.bindPopup(function () {
              var div = document.createElement("div");
              var a = document.createElement("a");
              a.href = el.dataset.reportUrl + p[0] + "/";
              a.textContent = "#" + p[0] + " " + (names[code] || code);
              div.appendChild(a);
              return div;
            });
            return m;
          });
          cluster.addLayers(markers);
          count.textContent = markers.length + " " + el.dataset.countLabel;
        });
    }
    select.addEventListener("change", load);
    load();
  });
})();
