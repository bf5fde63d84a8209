// The base layer of every map (issue 17, "maps a person can read").
//
// With a tile server configured by the deployment (MAP_TILES: the intranet 天地图 or its
// own GIS) it draws those tiles; without one it draws a local base map from our own data:
// a paper-coloured ground, the imported roads with their names, the registry's buildings
// with their names, the grid outlines, and the names of communities and grids, placed so
// that no two names overlap (larger areas first; a name is written only where its area is
// large enough on screen). Names of areas and buildings are drawn in both cases: a tile
// server knows streets, not grids.
//
// Load order on a page: leaflet.js, then `{% basemap_scripts %}` (the tile configuration
// as JSON in #cg-map-config, gcoord when the tiles are GCJ-02, this file), then the
// page's script. API, on window.cgBaseMap:
//
//   cgBaseMap.mapOptions(opts)   options for L.map(): `opts` plus the coordinate reference
//                                system (GCJ-02 tiles) and the zoom limits of the tiles.
//   cgBaseMap.optionsFrom(el)    {labelsUrl, buildingsUrl, roadsUrl, outlinesUrl} from the
//                                element's data-labels-url … attributes (absent: not drawn).
//   var base = cgBaseMap(map, {labelsUrl, buildingsUrl, roadsUrl, outlinesUrl, tiles})
//                                draws the base layer on `map`; `tiles` defaults to the
//                                page's configuration (null: the local base map). `roads`
//                                and `buildings` may be given as FeatureCollections instead
//                                of URLs (the offline app draws what the phone keeps).
//                                Returns:
//     base.local                 true without tiles (or after the tile server failed);
//     base.addLabels(features)   names of the page's own GeoJSON features (properties
//                                code, name, level and label = [lng, lat]);
//     base.track(url, draw)      loads a GeoJSON URL of the map's own layer at the zoom it
//                                is shown at: first `?fit=<w>x<h>` (the server picks the zoom
//                                that fits), then `?zoom=` again when the reader zooms in
//                                further; calls draw(data, first) each time; returns a
//                                Promise of the first answer.
//     base.refresh()             places the names again (after the page changed its layers);
//     base.map                   the Leaflet map (the handle is also the map element's
//                                `cgBaseMap` property, for scripts and tests that have
//                                only the element).
//   The map element says what it shows in data attributes: data-basemap ("tiles" or
//   "local"), data-labels (names written now), data-roads and data-buildings (how many in
//   the view's data), data-tiles-loaded.
//
// Coordinates: everything we store and send is WGS 84. When the tiles are GCJ-02 the map
// gets a coordinate reference system that shifts WGS 84 to GCJ-02 on the way to the screen
// and back on the way from it (gcoord), so the page's layers, markers and clicked points
// (e.latlng) all stay WGS 84 and nothing else needs converting.
//
// Data from the server (names) is put in as text, never as HTML.
(function () {
  "use strict";
  if (!window.L) { return; }

  var FULL_DETAIL_ZOOM = 18;
  var LOCAL_MAX_ZOOM = 19;
  var ROADS_FROM_ZOOM = 12;
  var BUILDING_DOTS_FROM_ZOOM = 15;
  var BUILDING_NAMES_FROM_ZOOM = 17;
  var GRID_OUTLINES_FROM_ZOOM = 14;
  var MAX_BBOX_SPAN = 0.48;  // degrees; the endpoints refuse more than 0.5
  var LEVEL_RANK = { county: 0, street: 1, community: 2, grid: 3 };
  var FONTS = {
    county: "700 15px system-ui, sans-serif", street: "700 14px system-ui, sans-serif",
    community: "600 13px system-ui, sans-serif", grid: "500 12px system-ui, sans-serif",
    building: "400 11px system-ui, sans-serif", road: "400 11px system-ui, sans-serif"
  };
  var LABEL_HEIGHT = { county: 18, street: 18, community: 17, grid: 15, building: 14, road: 14 };
  var ROAD_STYLE = {  // casing and centre line widths by kind, at zoom 15
    major: { casing: "#c8b58a", fill: "#fbe7a1", width: 7 },
    minor: { casing: "#c9c3b6", fill: "#ffffff", width: 5 },
    lane: { casing: "#d3cec3", fill: "#ffffff", width: 3.5 },
    path: { casing: null, fill: "#b9b2a3", width: 1.5, dash: "3 3" }
  };

  function readConfig() {
    var node = document.getElementById("cg-map-config");
    if (!node) { return { tiles: null }; }
    try { return JSON.parse(node.textContent) || { tiles: null }; } catch (e) { return { tiles: null }; }
  }
  var CONFIG = readConfig();

  function usableTiles(tiles) {
    if (!tiles || !tiles.url) { return null; }
    if (tiles.crs === "gcj02" && !window.gcoord) { return null; }  // never draw misaligned
    return tiles;
  }

  // --- GCJ-02: a Web Mercator CRS that shifts WGS 84 to GCJ-02 for display -------------
  var gcjCrs = null;
  function gcj02Crs() {
    if (gcjCrs) { return gcjCrs; }
    var sm = L.Projection.SphericalMercator;
    var g = window.gcoord;
    var projection = {
      R: sm.R, MAX_LATITUDE: sm.MAX_LATITUDE, bounds: sm.bounds,
      project: function (latlng) {
        var p = g.transform([latlng.lng, latlng.lat], g.WGS84, g.GCJ02);
        return sm.project(L.latLng(p[1], p[0]));
      },
      unproject: function (point) {
        var ll = sm.unproject(point);
        var p = g.transform([ll.lng, ll.lat], g.GCJ02, g.WGS84);
        return L.latLng(p[1], p[0]);
      }
    };
    gcjCrs = L.extend({}, L.CRS.EPSG3857, { code: "EPSG:3857+GCJ-02", projection: projection });
    return gcjCrs;
  }

  function mapOptions(opts) {
    var out = L.extend({}, opts || {});
    var tiles = usableTiles(CONFIG.tiles);
    if (tiles) {
      if (tiles.crs === "gcj02") { out.crs = gcj02Crs(); }
      out.minZoom = tiles.minZoom;
      out.maxZoom = Math.max(tiles.maxZoom, FULL_DETAIL_ZOOM);
    } else {
      out.maxZoom = LOCAL_MAX_ZOOM;
    }
    return out;
  }

  function optionsFrom(el) {
    var d = el.dataset;
    return { labelsUrl: d.labelsUrl || "", buildingsUrl: d.buildingsUrl || "",
             roadsUrl: d.roadsUrl || "", outlinesUrl: d.outlinesUrl || "" };
  }

  function withParam(url, name, value) {
    return url + (url.indexOf("?") < 0 ? "?" : "&") + name + "=" + encodeURIComponent(value);
  }

  function getJSON(url) {
    return fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); });
  }

  function escapeText(text) {
    var node = document.createElement("span");
    node.textContent = text == null ? "" : String(text);
    return node.innerHTML;
  }

  // Bounds [west, south, east, north] of a GeoJSON geometry.
  function geometryBbox(geometry) {
    var box = [Infinity, Infinity, -Infinity, -Infinity];
    function walk(c) {
      if (typeof c[0] === "number") {
        if (c[0] < box[0]) { box[0] = c[0]; } if (c[0] > box[2]) { box[2] = c[0]; }
        if (c[1] < box[1]) { box[1] = c[1]; } if (c[1] > box[3]) { box[3] = c[1]; }
        return;
      }
      for (var i = 0; i < c.length; i++) { walk(c[i]); }
    }
    if (geometry && geometry.coordinates) { walk(geometry.coordinates); }
    return box[0] === Infinity ? null : box;
  }

  var measureCtx = null;
  var widths = {};
  function textWidth(text, kind) {
    var key = kind + "|" + text;
    if (widths[key] === undefined) {
      if (!measureCtx) { measureCtx = document.createElement("canvas").getContext("2d"); }
      measureCtx.font = FONTS[kind] || FONTS.grid;
      widths[key] = Math.ceil(measureCtx.measureText(text).width) + 6;  // + halo
    }
    return widths[key];
  }

  function cgBaseMap(map, options) {
    options = options || {};
    var container = map.getContainer();
    var tiles = usableTiles(options.tiles === undefined ? CONFIG.tiles : options.tiles);
    var handle = { local: !tiles };
    var areaLabels = {};       // code -> {name, level, at: [lng, lat], bbox}
    var roadData = null;       // FeatureCollection of the roads in view
    var buildingData = null;   // FeatureCollection of the buildings in view

    function pane(name, zIndex) {
      var p = map.getPane(name) || map.createPane(name);
      p.style.zIndex = String(zIndex);
      p.style.pointerEvents = "none";  // the base layer never takes a click or a hover
      return p;
    }
    pane("cgRoads", 250);
    pane("cgOutlines", 390);
    pane("cgBuildings", 430);
    pane("cgLabels", 450);
    var roadLayer = L.layerGroup().addTo(map);
    var outlineLayer = L.layerGroup().addTo(map);
    var buildingRenderer = L.canvas({ pane: "cgBuildings" });
    var buildingLayer = L.layerGroup().addTo(map);
    var labelLayer = L.layerGroup().addTo(map);

    // --- tiles, or the local ground ----------------------------------------------------
    var tileLayers = [];
    function goLocal() {
      tileLayers.forEach(function (t) { map.removeLayer(t); });
      tileLayers = [];
      handle.local = true;
      container.classList.add("cg-basemap-local");
      container.dataset.basemap = "local";
      loadRoads();
    }
    if (tiles) {
      var tileOptions = {
        subdomains: tiles.subdomains && tiles.subdomains.length ? tiles.subdomains : "abc",
        minZoom: tiles.minZoom, maxNativeZoom: tiles.maxZoom,
        maxZoom: Math.max(tiles.maxZoom, FULL_DETAIL_ZOOM),
        attribution: escapeText(tiles.attribution)
      };
      tileLayers.push(L.tileLayer(tiles.url, tileOptions).addTo(map));
      if (tiles.overlayUrl) {
        tileLayers.push(L.tileLayer(tiles.overlayUrl, L.extend({}, tileOptions, { attribution: "" })).addTo(map));
      }
      if (tiles.attribution) {
        L.control.attribution({ prefix: false }).addTo(map);
        // (the page may have added its own control: attribution shows in every control)
      }
      container.classList.add("cg-basemap-tiles");
      container.dataset.basemap = "tiles";
      // A tile server that answers nothing: fall back to the local base map.
      var loadedTiles = 0, failedTiles = 0;
      tileLayers[0].on("tileload", function () { loadedTiles += 1; container.dataset.tilesLoaded = String(loadedTiles); });
      tileLayers[0].on("tileerror", function () {
        failedTiles += 1;
        if (failedTiles >= 6 && loadedTiles === 0 && !handle.local) { goLocal(); }
      });
    } else {
      container.classList.add("cg-basemap-local");
      container.dataset.basemap = "local";
    }

    // --- names: placed greedily, larger areas first, none overlapping ------------------
    var scheduled = false;
    function schedule() {
      if (scheduled) { return; }
      scheduled = true;
      (window.requestAnimationFrame || setTimeout)(function () {
        scheduled = false;
        map.whenReady(place);  // (not before the page has set the view)
      });
    }

    function labelIcon(text, kind, w, h, angle) {
      var inner = document.createElement("span");
      inner.className = "cg-label-text";
      inner.textContent = text;
      if (angle) { inner.style.transform = "rotate(" + angle.toFixed(1) + "deg)"; }
      return L.divIcon({ className: "cg-label cg-label-" + kind, html: inner,
                         iconSize: [w, h], iconAnchor: [w / 2, h / 2] });
    }

    function rotatedBox(x, y, w, h, angle) {
      var r = Math.abs(angle) * Math.PI / 180;
      var bw = w * Math.cos(r) + h * Math.sin(r), bh = w * Math.sin(r) + h * Math.cos(r);
      return [x - bw / 2, y - bh / 2, x + bw / 2, y + bh / 2];
    }

    function roadCandidates(view, zoom) {
      var found = [];
      if (!roadData || !roadData.features) { return found; }
      roadData.features.forEach(function (f) {
        var name = f.properties && f.properties.name;
        if (!name || !f.geometry) { return; }
        var lines = f.geometry.type === "LineString" ? [f.geometry.coordinates] : f.geometry.coordinates;
        var w = textWidth(name, "road"), best = null;
        lines.forEach(function (line) {
          var prev = null;
          for (var i = 0; i < line.length; i++) {
            var p = map.latLngToContainerPoint([line[i][1], line[i][0]]);
            // The part of the segment inside the view (a long road's ends are outside it).
            var part = prev ? L.LineUtil.clipSegment(prev, p, view, false, true) : false;
            if (part) {
              var len = part[0].distanceTo(part[1]);
              if (len >= w + 8 && (!best || len > best.len)) { best = { a: part[0], b: part[1], len: len }; }
            }
            prev = p;
          }
        });
        if (!best) { return; }
        var angle = Math.atan2(best.b.y - best.a.y, best.b.x - best.a.x) * 180 / Math.PI;
        if (angle > 90) { angle -= 180; } else if (angle < -90) { angle += 180; }
        var kind = f.properties.kind;
        found.push({ text: name, kind: "road", w: w, h: LABEL_HEIGHT.road, angle: angle,
                     x: (best.a.x + best.b.x) / 2, y: (best.a.y + best.b.y) / 2,
                     rank: kind === "major" ? 10 : 30 });
      });
      return found;
    }

    // "桃坞社区第3网格" is written "第3网格" inside 桃坞社区 (the parent's name is on the map
    // nearby, and the shorter name fits smaller grids). Codes nest by prefix.
    function shortName(code, name) {
      for (var n = code.length - 3; n >= 6; n -= 3) {
        var parent = areaLabels[code.slice(0, n)];
        if (parent && parent.name && name.length > parent.name.length &&
            name.indexOf(parent.name) === 0) {
          return name.slice(parent.name.length);
        }
      }
      return name;
    }

    function place() {
      labelLayer.clearLayers();
      var size = map.getSize();
      var view = L.bounds([12, 12], [size.x - 12, size.y - 12]);  // (roads: names inside)
      var zoom = map.getZoom();
      var candidates = [];
      // Names of areas whose outlines are on the map, and of the larger areas around them;
      // not of smaller areas whose outlines are not drawn (at this zoom).
      var outlinesShown = map.hasLayer(outlineLayer);
      var deepest = -1;
      Object.keys(areaLabels).forEach(function (code) {
        var a = areaLabels[code];
        if (a.drawn === "page" || (a.drawn === "outlines" && outlinesShown)) {
          deepest = Math.max(deepest, LEVEL_RANK[a.level] === undefined ? 3 : LEVEL_RANK[a.level]);
        }
      });
      Object.keys(areaLabels).forEach(function (code) {
        var a = areaLabels[code];
        if (!a.at || !a.name || a.own) { return; }
        var drawn = a.drawn === "page" || (a.drawn === "outlines" && outlinesShown);
        if (!drawn && deepest >= 0 && (LEVEL_RANK[a.level] === undefined ? 3 : LEVEL_RANK[a.level]) > deepest) { return; }
        var p = map.latLngToContainerPoint([a.at[1], a.at[0]]);
        var kind = LEVEL_RANK[a.level] === undefined ? "grid" : a.level;
        var text = shortName(code, a.name);
        var w = textWidth(text, kind), h = LABEL_HEIGHT[kind];
        var rank = LEVEL_RANK[kind];
        if (a.bbox) {
          var sw = map.latLngToContainerPoint([a.bbox[1], a.bbox[0]]);
          var ne = map.latLngToContainerPoint([a.bbox[3], a.bbox[2]]);
          var aw = Math.abs(ne.x - sw.x), ah = Math.abs(sw.y - ne.y);
          if (aw < w * 0.9 || ah < h * 1.4) { return; }  // the name would not fit its area
          // An area much larger than the view: its name yields to the smaller areas in it.
          if (aw > size.x * 2.5 && ah > size.y * 2.5) { rank += 40; }
        }
        candidates.push({ text: text, kind: kind, w: w, h: h, x: p.x, y: p.y, rank: rank });
      });
      if (zoom >= BUILDING_NAMES_FROM_ZOOM && buildingData && buildingData.features) {
        buildingData.features.forEach(function (f) {
          var name = f.properties.name;
          if (!name) { return; }
          var p = map.latLngToContainerPoint([f.geometry.coordinates[1], f.geometry.coordinates[0]]);
          var w = textWidth(name, "building");
          // below the building's dot
          candidates.push({ text: name, kind: "building", w: w, h: LABEL_HEIGHT.building,
                            x: p.x, y: p.y + 10, rank: 20 });
        });
      }
      if (handle.local) { candidates = candidates.concat(roadCandidates(view, zoom)); }
      candidates.sort(function (a, b) { return a.rank - b.rank; });
      var placed = [];  // boxes taken: the map's controls (zoom buttons), then names
      var origin = container.getBoundingClientRect();
      Array.prototype.forEach.call(container.querySelectorAll(".leaflet-control"), function (c) {
        var r = c.getBoundingClientRect();
        placed.push([r.left - origin.left, r.top - origin.top, r.right - origin.left, r.bottom - origin.top]);
      });
      var placedText = {};
      var shown = 0;
      candidates.forEach(function (c) {
        var box = c.angle ? rotatedBox(c.x, c.y, c.w, c.h, c.angle)
          : [c.x - c.w / 2, c.y - c.h / 2, c.x + c.w / 2, c.y + c.h / 2];
        if (box[0] < 2 || box[1] < 2 || box[2] > size.x - 2 || box[3] > size.y - 2) { return; }
        for (var i = 0; i < placed.length; i++) {
          var q = placed[i];
          if (box[0] < q[2] + 3 && box[2] > q[0] - 3 && box[1] < q[3] + 3 && box[3] > q[1] - 3) { return; }
        }
        if (c.kind === "road") {  // one name per road nearby (roads come in pieces)
          var near = (placedText[c.text] || []).some(function (o) { return Math.abs(o.x - c.x) + Math.abs(o.y - c.y) < 250; });
          if (near) { return; }
          (placedText[c.text] = placedText[c.text] || []).push(c);
        }
        placed.push(box);
        shown += 1;
        L.marker(map.containerPointToLatLng([c.x, c.y]), {
          icon: labelIcon(c.text, c.kind, c.w, c.h, c.angle), interactive: false,
          keyboard: false, pane: "cgLabels"
        }).addTo(labelLayer);
      });
      container.dataset.labels = String(shown);
    }

    // `drawnBy`: "page" (the page's own layer, the default) or "outlines" (the grid
    // outlines of the base map, shown from GRID_OUTLINES_FROM_ZOOM).
    function addLabels(features, drawnBy) {
      (features || []).forEach(function (f) {
        var p = f.properties || {};
        if (!p.code || !p.name || !p.label) { return; }
        areaLabels[p.code] = { name: p.name, level: p.level || "grid", at: p.label,
                               bbox: geometryBbox(f.geometry), drawn: drawnBy || "page" };
      });
      schedule();
    }

    // --- data that follows the view (roads, buildings) --------------------------------
    function viewportSource(url, minZoom, zoomed, onData, data) {
      var loaded = null, pending = null;
      function refresh() {
        if (data) {  // given whole (an offline app's kept copy): shown from its zoom on
          var zoom = Math.floor(map.getZoom());
          if (zoom !== loaded) { loaded = zoom; onData(zoom >= minZoom ? data : null); }
          return;
        }
        if (!url) { return; }
        var z = Math.floor(map.getZoom());
        if (z < minZoom) { onData(null); loaded = null; return; }
        var view = map.getBounds();
        if (loaded && loaded.bounds.contains(view) && (!zoomed || loaded.zoom === z)) { return; }
        var padded = view.pad(0.3);
        // (the server answers a viewport of at most 0.5°: a very large screen gets its middle)
        var c = view.getCenter(), half = MAX_BBOX_SPAN / 2;
        var box = [Math.max(padded.getWest(), c.lng - half), Math.max(padded.getSouth(), c.lat - half),
                   Math.min(padded.getEast(), c.lng + half), Math.min(padded.getNorth(), c.lat + half)];
        padded = L.latLngBounds([box[1], box[0]], [box[3], box[2]]);
        var bbox = box.map(function (v) { return v.toFixed(5); }).join(",");
        var request = withParam(url, "bbox", bbox);
        if (zoomed) { request = withParam(request, "zoom", z); }
        if (pending === request) { return; }
        pending = request;
        getJSON(request).then(function (data) {
          if (pending !== request) { return; }
          pending = null;
          loaded = { bounds: padded, zoom: z };
          onData(data);
        }).catch(function () { pending = null; container.dataset.basemapError = "1"; });
      }
      map.on("moveend zoomend", refresh);
      return refresh;
    }

    function drawRoads(data) {
      roadLayer.clearLayers();
      roadData = data;
      if (!data || !handle.local) { schedule(); return; }
      var scale = Math.pow(2, (map.getZoom() - 15) / 2);  // thinner when zoomed out
      function styleOf(f) { return ROAD_STYLE[f.properties.kind] || ROAD_STYLE.minor; }
      function width(s) { return Math.max(s.width * scale, 1); }
      var common = { pane: "cgRoads", interactive: false };
      // Casings first, then the roads themselves on top (one canvas, drawn in order).
      L.geoJSON(data, L.extend({
        filter: function (f) { return !!styleOf(f).casing; },
        style: function (f) {
          var s = styleOf(f);
          return { color: s.casing, weight: width(s) + 2, opacity: 1, lineCap: "round", lineJoin: "round" };
        }
      }, common)).addTo(roadLayer);
      L.geoJSON(data, L.extend({
        style: function (f) {
          var s = styleOf(f);
          return { color: s.fill, weight: width(s), opacity: 1, dashArray: s.dash || null,
                   lineCap: "round", lineJoin: "round" };
        }
      }, common)).addTo(roadLayer);
      container.dataset.roads = String(data.features.length);
      schedule();
    }

    function drawBuildings(data) {
      buildingLayer.clearLayers();
      buildingData = data;
      if (data) {
        var r = map.getZoom() >= BUILDING_NAMES_FROM_ZOOM ? 4 : 3;
        data.features.forEach(function (f) {
          var c = f.geometry.coordinates;
          L.circleMarker([c[1], c[0]], { renderer: buildingRenderer, pane: "cgBuildings",
            interactive: false, radius: r, weight: 1, color: "#ffffff", fillColor: "#6c7a89",
            fillOpacity: 0.95 }).addTo(buildingLayer);
        });
        container.dataset.buildings = String(data.features.length);
      }
      schedule();
    }

    var refreshRoads = viewportSource(options.roadsUrl, ROADS_FROM_ZOOM, true, drawRoads,
                                      options.roads);
    var refreshBuildings = viewportSource(options.buildingsUrl, BUILDING_DOTS_FROM_ZOOM, false,
                                          drawBuildings, options.buildings);
    function loadRoads() { if (handle.local) { refreshRoads(); } }

    // --- the map's own layers at the zoom they are shown at ---------------------------
    function track(url, draw) {
      var current = null;
      var first = null;
      function load(param, value, isFirst) {
        return getJSON(withParam(url, param, value)).then(function (data) {
          current = data;
          draw(data, isFirst);
          return data;
        });
      }
      map.on("zoomend", function () {
        if (!current || current.zoom == null || current.zoom >= FULL_DETAIL_ZOOM) { return; }
        var z = map.getZoom();
        if (z > current.zoom + 1) {
          load("zoom", Math.min(FULL_DETAIL_ZOOM, Math.ceil(z) + 1), false).catch(function () {});
        }
      });
      var size = map.getSize();
      first = load("fit", Math.max(size.x, 1) + "x" + Math.max(size.y, 1), true);
      return first;
    }

    // Grid outlines under a map of larger areas (a street's communities), from zoom 14.
    if (options.outlinesUrl) {
      var outlinesStarted = false;
      var startOutlines = function () {
        var deep = map.getZoom() >= GRID_OUTLINES_FROM_ZOOM;
        if (deep && !map.hasLayer(outlineLayer)) { outlineLayer.addTo(map); }
        if (!deep && map.hasLayer(outlineLayer)) { map.removeLayer(outlineLayer); }
        if (outlinesStarted || !deep) { return; }
        outlinesStarted = true;
        track(options.outlinesUrl, function (data) {
          outlineLayer.clearLayers();
          L.geoJSON(data, { pane: "cgOutlines", interactive: false,
                            style: { color: "#8a5a44", weight: 1, opacity: 0.7, dashArray: "4 3", fill: false }
          }).addTo(outlineLayer);
          addLabels(data.features, "outlines");
        }).catch(function () { container.dataset.basemapError = "1"; });
      };
      map.on("zoomend", startOutlines);
      map.whenReady(startOutlines);
    }

    if (options.labelsUrl) {
      getJSON(options.labelsUrl).then(function (data) {
        (data.labels || []).forEach(function (a) {
          var known = areaLabels[a.code];
          if (known) { a.drawn = known.drawn; }  // (the page may have drawn it already)
          areaLabels[a.code] = a;
        });
        schedule();
      }).catch(function () { container.dataset.basemapError = "1"; });
    }

    map.on("zoomend moveend resize", schedule);
    map.whenReady(function () { loadRoads(); refreshBuildings(); });

    handle.map = map;
    handle.addLabels = addLabels;
    handle.track = track;
    handle.refresh = schedule;
    container.cgBaseMap = handle;
    return handle;
  }

  cgBaseMap.mapOptions = mapOptions;
  cgBaseMap.optionsFrom = optionsFrom;
  cgBaseMap.config = function () { return CONFIG; };
  window.cgBaseMap = cgBaseMap;
})();
