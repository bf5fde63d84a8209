/* civicgrid offline app (网格通): the grid worker's pages on a phone, online or not.
 *
 * Reads what it shows from the phone's encrypted store (store.js), filled by
 * GET /api/v1/field/bundle; whatever the worker captures goes into the outbox and is sent
 * in order when there is a connection. Every text is built with textContent: nothing the
 * server or the worker typed is ever parsed as HTML.
 */
(function () {
  "use strict";
  var S = window.cgStore;
  var T = JSON.parse(document.getElementById("cg-texts").textContent);
  var APP = JSON.parse(document.getElementById("cg-app").textContent);
  var view = document.getElementById("view");
  var banner = document.getElementById("banner");
  var MAX_INPUT_BYTES = 20 * 1024 * 1024; // refused on the phone, before any processing
  var MAX_SIDE = 1600;
  var MAX_PHOTO_BYTES = 300 * 1024;
  var MAX_PHOTOS = 9;
  var WIPE_AFTER_DAYS = 14;
  var DRAFT_EVERY_MS = 3000;
  var PHOTO_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif"];
  var state = { bundle: null, items: [], online: navigator.onLine, stopped: null, syncing: false };

  // --- small DOM helpers -----------------------------------------------------------------
  function h(tag, attrs) {
    var el = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      var v = attrs[k];
      if (v === null || v === undefined || v === false) return;
      if (k === "text") el.textContent = v;
      else if (k.slice(0, 2) === "on") el.addEventListener(k.slice(2), v);
      else el.setAttribute(k, v === true ? "" : v);
    });
    for (var i = 2; i < arguments.length; i++) {
      var c = arguments[i];
      if (c === null || c === undefined || c === false) continue;
      (Array.isArray(c) ? c : [c]).forEach(function (x) {
        if (x !== null && x !== undefined && x !== false) el.appendChild(typeof x === "string" ? document.createTextNode(x) : x);
      });
    }
    return el;
  }
  function fmt(text, values) {
    return String(text).replace(/%\((\w+)\)s/g, function (_, k) { return values[k] === undefined ? "" : values[k]; });
  }
  function when(iso) {
    if (!iso) return "";
    var d = new Date(iso);
    var p = function (n) { return ("0" + n).slice(-2); };
    return d.getFullYear() + "-" + p(d.getMonth() + 1) + "-" + p(d.getDate()) + " " + p(d.getHours()) + ":" + p(d.getMinutes());
  }
  function kb(n) { return n >= 1024 * 1024 ? (n / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(n / 1024)) + " KB"; }
  function show(el) { view.replaceChildren(el); window.scrollTo(0, 0); }
  function say(text, kind) {
    banner.hidden = !text;
    banner.className = "banner " + (kind || "info");
    banner.replaceChildren(text ? h("span", { text: text }) : "");
    if (kind === "signin") banner.appendChild(h("a", { href: APP.login, text: T.sign_in, "class": "btn small" }));
  }

  // --- network state and sync ------------------------------------------------------------
  function paintNet() {
    var net = document.getElementById("net");
    net.textContent = state.syncing ? T.syncing : state.online ? T.online : T.offline;
    net.className = "net " + (state.online ? "on" : "off");
  }

  /* An item of this account (another account's, left on a shared phone, is never read here). */
  function mine(i) {
    // Online, the account is the one the server answered for (until the first sync has
    // answered, nothing is opened: another account may have signed in on this phone);
    // offline, the phone's holder is its last account (signing in needs a connection).
    if (navigator.onLine && !state.confirmed) return false;
    var user = state.bundle ? state.bundle.user : null;
    return !i.user || !user || i.user === user.id;
  }

  function unfinished(i) { return i.state !== "accepted" && i.state !== "attached" && i.state !== "conflict"; }

  function refreshItems() {
    return S.items().then(function (list) {
      state.items = list;
      var open = list.filter(unfinished).length;
      var badge = document.getElementById("outbox-count");
      badge.textContent = open ? String(open) : "";
      return list;
    });
  }

  function api(method, url, body) {
    return Promise.all([S.get("meta", "csrf"), S.get("meta", "device")]).then(function (r) {
      var headers = { "Accept": "application/json", "X-CSRFToken": r[0] || "" };
      headers[APP.header] = String(APP.version);
      if (r[1]) headers["X-Civicgrid-Device"] = r[1].id;
      var init = { method: method, headers: headers, credentials: "same-origin", cache: "no-store" };
      if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
      return fetch(url, init);
    });
  }

  function registerDevice() {
    return S.get("meta", "device").then(function (device) {
      var id = device ? device.id : S.uuid();
      return api("POST", "/api/v1/field/devices", { device_id: id, label: navigator.userAgent.slice(0, 200), app_version: APP.version })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return null;
          var secret = data.secret || (device && device.secret) || "";
          return S.put("meta", { id: id, secret: secret }, "device");
        }, function () { return null; }); // no connection: noted at the next sync
    });
  }

  function checkWipe() {
    return S.get("meta", "device").then(function (device) {
      if (!device || !device.secret) return false;
      return fetch("/api/v1/field/devices/status", {
        method: "POST", credentials: "omit", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ device_id: device.id, secret: device.secret }),
      }).then(function (r) { return r.ok ? r.json() : { wipe: false }; }).then(function (d) { return !!d.wipe; });
    }).catch(function () { return false; });
  }

  function sync() {
    if (state.syncing) { state.again = true; return Promise.resolve(); }  // once more after
    state.syncing = true;
    paintNet();
    return api("GET", "/api/v1/field/bundle").then(function (r) {
      if (r.status === 426) { state.stopped = "update"; return r.json().then(function (d) { say(d.detail, "warn"); updateApp(); }); }
      if (r.status === 403) {
        return r.clone().json().catch(function () { return {}; }).then(function (d) {
          if (d.code === "device_revoked") {  // an administrator revoked this phone
            return S.wipe().then(function () { location.replace(APP.login); });
          }
          return signedOut();
        });
      }
      if (r.status === 401) return signedOut();
      if (!r.ok) { say(T.server_error, "warn"); return null; }
      return r.json().then(function (bundle) { return adopt(bundle); });
    }, function () { state.online = false; })
      .then(function () { return flush(); })
      .catch(function () { /* the connection dropped meanwhile: the next sync tries again */ })
      .finally(function () {
        state.syncing = false;
        paintNet();
        if (state.again) { state.again = false; setTimeout(sync, 0); }
      });
  }

  /* No session: a disabled account or a revoked device wipes the phone (asked with the
   * device's secret); otherwise the worker signs in again and nothing is lost. */
  function signedOut() {
    return checkWipe().then(function (wipe) {
      if (wipe) return S.wipe().then(function () { location.replace(APP.login); });
      state.stopped = "signin";
      say(T.session_ended, "signin");
    });
  }

  /* The bundle again, quietly (fresh revisions after the phone's own edits were accepted,
   * a fresh CSRF token after a new sign-in): no flush after it. */
  function refreshBundle() {
    return api("GET", "/api/v1/field/bundle").then(function (r) {
      return r.ok ? r.json().then(adopt) : null;
    }).catch(function () { return null; });
  }

  /* A bundle from the server: another account than the phone's last one wipes what the
   * other account kept (its unsent items stay, marked, until sent or discarded by it). */
  function adopt(bundle) {
    return S.get("meta", "user").then(function (previous) {
      var switched = previous && previous.id !== bundle.user.id;
      // Another account on this phone: what the last one kept goes (its unsent items stay,
      // unreadable here and sent only by it), and the phone registers anew for this one.
      var cleared = switched ? Promise.all([S.vaultDel("bundle"), S.vaultDel("draft"), S.del("meta", "device")])
        : Promise.resolve();
      return cleared.then(function () {
        return Promise.all([
          S.put("meta", bundle.user, "user"), S.put("meta", bundle.csrf, "csrf"),
          S.put("meta", new Date().toISOString(), "synced"), S.vaultPut("bundle", bundle),
          S.put("meta", { version: APP.version, header: APP.header,
            texts: { photo_lost: T.photo_lost, server_failed: T.server_failed } }, "app"),
        ]);
      }).then(function () {
        state.bundle = bundle;
        state.confirmed = true;
        state.stopped = null;
        if (!banner.classList.contains("warn")) say("");
        return registerDevice();
      }).then(route);
    });
  }

  function flush(retried) {
    if (!navigator.onLine) return refreshItems().then(route);
    return S.flush({ onProgress: function () { refreshItems().then(repaintOutbox); } }).then(function (result) {
      if (result.stopped === "csrf" && !retried) {
        // Signed in again elsewhere: a fresh token with the bundle, then once more.
        return refreshBundle().then(function () { return flush(true); });
      }
      if (result.stopped === "signin" || result.stopped === "csrf") say(T.session_ended, "signin");
      else if (result.stopped === "update") { say(T.update_needed, "warn"); updateApp(); }
      else if (result.stopped === "server") say(T.server_error, "warn");
      // What was accepted changed the records: their new revisions for the next edits.
      return (result.sent ? refreshBundle() : Promise.resolve()).then(refreshItems).then(route);
    });
  }

  function askBackgroundSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("cg-outbox");
      return null;
    }).catch(function () { /* not supported: the page sends when it sees the connection */ });
  }

  function updateApp() {
    if (!("serviceWorker" in navigator)) return;
    state.updating = true;
    navigator.serviceWorker.getRegistration("/field/").then(function (reg) { if (reg) reg.update(); });
  }

  // --- the pages -------------------------------------------------------------------------
  function header(title, sub) {
    return h("div", { "class": "head" }, h("h1", { text: title }), sub ? h("p", { "class": "muted", text: sub }) : null);
  }

  function needBundle() {
    if (state.bundle) return null;
    return h("div", { "class": "card" }, h("p", { text: navigator.onLine ? T.first_sync : T.no_data_offline }),
      navigator.onLine ? h("a", { "class": "btn", href: APP.login, text: T.sign_in }) : null);
  }

  function home() {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.app_name), missing));
    var b = state.bundle;
    var open = state.items.filter(unfinished);
    var mapBox = h("div", { id: "map", "class": "map", role: "img", "aria-label": T.map_label });
    show(h("div", null,
      header(b.grids.map(function (g) { return g.name; }).join("、") || T.app_name,
        fmt(T.synced_at, { at: when(b.synced_at) })),
      h("div", { "class": "grid2" },
        h("a", { "class": "tile primary", href: "#/report", "data-testid": "home-report" }, h("strong", { text: T.report_case }), h("span", { text: T.report_hint })),
        h("a", { "class": "tile", href: "#/outbox" }, h("strong", { text: fmt(T.outbox_n, { n: open.length }) }), h("span", { text: open.length ? T.outbox_waiting : T.outbox_empty })),
        h("a", { "class": "tile", href: "#/cases" }, h("strong", { text: fmt(T.cases_n, { n: b.cases.length }) }), h("span", { text: T.open_cases })),
        h("a", { "class": "tile", href: "#/check" }, h("strong", { text: T.weekly_check }), h("span", { text: fmt(T.checks_n, { n: b.checks.length }) }))),
      mapBox,
      h("p", { "class": "muted small", text: fmt(T.buildings_n, { n: b.buildings.length }) })));
    drawMap(mapBox, b);
  }

  /* The worker's grids on the base map (basemap.js): the deployment's tiles when it has a
   * tile server and the phone a connection, else the local map drawn from what the phone
   * keeps — the roads around the grids, the buildings with their names, the grids' names. */
  function drawMap(box, b) {
    if (!window.L) return;
    var options = window.cgBaseMap ? cgBaseMap.mapOptions({ zoomControl: true, attributionControl: false })
      : { attributionControl: false };
    var map = L.map(box, options);
    var grids = b.grids.filter(function (g) { return g.outline; }).map(function (g) {
      return { type: "Feature", geometry: g.outline, properties: { code: g.code, name: g.name, level: "grid", label: g.label } };
    });
    var buildings = { type: "FeatureCollection", features: b.buildings.filter(function (x) { return x.point; }).map(function (x) {
      return { type: "Feature", geometry: { type: "Point", coordinates: x.point }, properties: { name: x.name } };
    }) };
    var base = window.cgBaseMap ? cgBaseMap(map, {
      tiles: navigator.onLine ? undefined : null, roads: b.roads || null, buildings: buildings }) : null;
    var outline = L.geoJSON({ type: "FeatureCollection", features: grids }, {
      interactive: false, style: { color: "#1d3557", weight: 2, fillOpacity: 0.04 } }).addTo(map);
    if (base) base.addLabels(grids);
    b.cases.forEach(function (c) {
      if (!c.point) return;
      L.circleMarker([c.point[1], c.point[0]], { radius: 7, color: "#b71c1c", weight: 2, fillColor: "#e63946", fillOpacity: 0.7 })
        .bindPopup(h("span", { text: c.number + " " + c.category })).addTo(map);
    });
    var bounds = outline.getBounds();
    if (bounds.isValid()) map.fitBounds(bounds, { padding: [10, 10] });
    else map.setView([32.0, 120.9], 12);
  }

  // --- report a case (with draft and photos) ---------------------------------------------
  var draftTimer = null;

  function reportForm(editing) {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.report_case), missing));
    var b = state.bundle;
    var photos = []; // {id?, name, size, type, sha256, bytes(ArrayBuffer), url, captured_at}
    var point = null;
    var categorySelect = h("select", { name: "category", id: "f-category", required: true, "data-testid": "f-category" },
      h("option", { value: "", text: T.choose_category }),
      b.categories.map(function (c) { return h("option", { value: c.code, text: c.name }); }));
    var attrsBox = h("div", { id: "f-attrs" });
    var gridSelect = h("select", { name: "area", id: "f-area", "data-testid": "f-area" },
      b.grids.map(function (g) { return h("option", { value: g.code, text: g.name }); }));
    var description = h("textarea", { name: "description", id: "f-description", rows: 5, maxlength: 2000, required: true, "data-testid": "f-description" });
    var address = h("input", { name: "address", id: "f-address", maxlength: 200, "data-testid": "f-address" });
    var where = h("span", { "class": "muted small", "data-testid": "f-point", text: T.no_point });
    var photoInput = h("input", { type: "file", accept: "image/*", multiple: true, id: "f-photos", "class": "file", "data-testid": "f-photos" });
    var photoList = h("div", { "class": "thumbs", "data-testid": "thumbs" });
    var photoError = h("div", { "class": "error", role: "alert", "data-testid": "photo-error" });
    var formError = h("div", { "class": "error", role: "alert", "data-testid": "form-error" });
    var submit = h("button", { "class": "btn primary wide", type: "submit", "data-testid": "f-submit", text: editing ? T.save_resend : T.save_send });
    var progress = h("div", { "class": "muted small", role: "status", "data-testid": "f-progress" });

    function attrFields(code, values) {
      var cat = b.categories.filter(function (c) { return c.code === code; })[0];
      attrsBox.replaceChildren();
      if (!cat) return;
      cat.attributes.forEach(function (a) {
        var id = "f-attr-" + a.code;
        var input;
        if (a.values && a.values.length) {
          input = h("select", { id: id, "data-attr": a.code, required: a.required || null },
            h("option", { value: "", text: "—" }), a.values.map(function (v) { return h("option", { value: v[0], text: v[1] }); }));
        } else {
          input = h("input", { id: id, "data-attr": a.code, type: a.datatype === "number" ? "number" : "text", required: a.required || null });
        }
        if (values && values[a.code] !== undefined) input.value = values[a.code];
        attrsBox.appendChild(h("label", { "for": id }, a.description + (a.required ? " *" : "")));
        attrsBox.appendChild(input);
      });
    }

    function paintPhotos() {
      photoList.replaceChildren.apply(photoList, photos.map(function (p, i) {
        return h("figure", { "class": "thumb" }, h("img", { src: p.url, alt: p.name }),
          h("figcaption", { text: kb(p.size) }),
          h("button", { type: "button", "class": "link", "aria-label": T.remove_photo, text: "×", onclick: function () { photos.splice(i, 1); paintPhotos(); saveDraft(); } }));
      }));
    }

    function values() {
      var attributes = {};
      attrsBox.querySelectorAll("[data-attr]").forEach(function (el) { if (el.value !== "") attributes[el.dataset.attr] = el.value; });
      return { category: categorySelect.value, description: description.value, area: gridSelect.value,
        address: address.value, attributes: attributes, point: point };
    }

    function fill(v) {
      if (!v) return;
      categorySelect.value = v.category || "";
      attrFields(categorySelect.value, v.attributes);
      description.value = v.description || "";
      if (v.area) gridSelect.value = v.area;
      address.value = v.address || "";
      point = v.point || null;
      paintPoint();
    }

    function paintPoint() {
      where.textContent = point ? fmt(T.point_at, { lng: point[0].toFixed(6), lat: point[1].toFixed(6) }) : T.no_point;
      if (unlocate) unlocate.hidden = !point;  // (declared below; set once the form exists)
    }

    // Drafts are written one after another, only when something changed, and never once
    // the form was submitted (a late write must not bring a sent report back as a draft).
    var submitted = false, lastDraft = "", draftChain = Promise.resolve();
    function saveDraft() {
      if (editing || submitted) return draftChain;
      var v = values();
      var key = JSON.stringify(v) + photos.map(function (p) { return p.sha256; }).join(",");
      if (key === lastDraft) return draftChain;
      lastDraft = key;
      v.photos = photos.map(function (p) { return { name: p.name, size: p.size, type: p.type, sha256: p.sha256, captured_at: p.captured_at, bytes: Array.from(new Uint8Array(p.bytes)) }; });
      v.saved = new Date().toISOString();
      draftChain = draftChain.then(function () { return submitted ? null : S.vaultPut("draft", v); })
        .catch(function () { lastDraft = ""; });
      return draftChain;
    }

    function addFiles(files) {
      photoError.textContent = "";
      var list = Array.prototype.slice.call(files);
      return list.reduce(function (chain, file) {
        return chain.then(function () {
          if (photos.length >= MAX_PHOTOS) { photoError.textContent = fmt(T.too_many_photos, { n: MAX_PHOTOS }); return null; }
          if (PHOTO_TYPES.indexOf(file.type) === -1) { photoError.textContent = fmt(T.photo_type, { name: file.name }); return null; }
          if (file.size > MAX_INPUT_BYTES) { photoError.textContent = fmt(T.photo_too_big, { name: file.name, size: kb(file.size), max: kb(MAX_INPUT_BYTES) }); return null; }
          return shrink(file).then(function (p) { photos.push(p); paintPhotos(); }, function () {
            photoError.textContent = fmt(T.photo_unreadable, { name: file.name });
          });
        });
      }, Promise.resolve()).then(saveDraft);
    }

    photoInput.addEventListener("change", function () { addFiles(photoInput.files).then(function () { photoInput.value = ""; }); });
    categorySelect.addEventListener("change", function () { attrFields(categorySelect.value, {}); saveDraft(); });

    var locate = h("button", { type: "button", "class": "btn", "data-testid": "f-locate", text: T.use_position, onclick: function () {
      if (!navigator.geolocation) { where.textContent = T.no_geolocation; return; }
      where.textContent = T.locating;
      navigator.geolocation.getCurrentPosition(function (pos) {
        point = [pos.coords.longitude, pos.coords.latitude]; paintPoint(); saveDraft();
      }, function () { where.textContent = T.no_geolocation; }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    } });

    var unlocate = h("button", { type: "button", "class": "btn", "data-testid": "f-unlocate", hidden: true, text: T.clear_point, onclick: function () {
      point = null; paintPoint(); saveDraft();
    } });
    var form = h("form", { "class": "card form", novalidate: true, "data-testid": "report-form" },
      h("label", { "for": "f-category" }, T.category + " *"), categorySelect, attrsBox,
      h("label", { "for": "f-description" }, T.description + " *"), description,
      h("label", { "for": "f-area" }, T.grid), gridSelect,
      h("label", { "for": "f-address" }, T.address), address,
      h("div", { "class": "row" }, locate, unlocate, where),
      h("div", { "class": "label", text: fmt(T.photos_label, { n: MAX_PHOTOS }) }), photoInput,
      h("label", { "for": "f-photos", "class": "btn file-btn" }, T.add_photos),
      h("p", { "class": "muted small", text: T.photo_hint }), photoError, photoList,
      formError, submit, progress);

    form.addEventListener("input", function () {
      clearTimeout(draftTimer);
      draftTimer = setTimeout(saveDraft, 500);
    });

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) return;
      var v = values();
      var missingField = !v.category ? T.category : !v.description.trim() ? T.description : null;
      if (missingField) { formError.textContent = fmt(T.required, { field: missingField }); return; }
      formError.textContent = "";
      submit.disabled = true;
      submitted = true;
      clearTimeout(draftTimer);
      clearInterval(window.cgDraftTimer);
      progress.textContent = T.saving;
      var body = { category: v.category, description: v.description.trim(), address: v.address.trim(),
        attributes: v.attributes, channel: "patrol", happened_at: new Date().toISOString() };
      if (v.point) { body.lng = v.point[0]; body.lat = v.point[1]; body.coordinate_system = "wgs84"; } else { body.area = v.area; }
      var saved = editing ? S.replacePayload(editing.id, { body: body, form: v }) : S.add("case", { body: body, form: v });
      saved.then(function (item) {
        return photos.reduce(function (chain, p) {
          return chain.then(function () {
            return S.add("photo", { name: p.name, size: p.size, type: p.type, sha256: p.sha256, captured_at: p.captured_at }, { after: item.id })
              .then(function (ph) { return S.sealBytes(p.bytes).then(function (rec) { return S.put("blobs", rec, ph.id); }); });
          });
        }, Promise.resolve());
      }).then(function () {
        return editing ? null : draftChain.then(function () { return S.vaultDel("draft"); });
      }).then(function () {
        progress.textContent = navigator.onLine ? T.sending : T.saved_offline;
        askBackgroundSync();
        return refreshItems();
      }).then(function () {
        location.hash = "#/outbox";
        if (navigator.onLine) flush();
      }).catch(function () {
        submit.disabled = false;
        submitted = false;
        formError.textContent = T.save_failed;
        progress.textContent = "";
      });
    });

    var page = h("div", null, header(editing ? T.edit_report : T.report_case));
    if (editing) {
      S.payloadOf(editing).then(function (p) { fill(p.form); });
      page.appendChild(h("div", { "class": "notice warn", text: editing.reason }));
      page.appendChild(form);
      show(page);
      return;
    }
    S.vaultGet("draft").then(function (draft) {
      if (draft && (draft.description || draft.category || (draft.photos && draft.photos.length))) {
        var offer = h("div", { "class": "notice", "data-testid": "draft-offer" },
          h("p", { text: fmt(T.draft_found, { at: when(draft.saved) }) }),
          h("button", { type: "button", "class": "btn primary", "data-testid": "draft-restore", text: T.draft_restore, onclick: function () {
            fill(draft);
            photos = (draft.photos || []).map(function (p) {
              var bytes = new Uint8Array(p.bytes).buffer;
              return Object.assign({}, p, { bytes: bytes, url: URL.createObjectURL(new Blob([bytes], { type: p.type })) });
            });
            paintPhotos();
            offer.remove();
          } }),
          h("button", { type: "button", "class": "btn", text: T.draft_discard, onclick: function () {
            if (confirm(T.draft_discard_confirm)) { S.vaultDel("draft"); offer.remove(); }
          } }));
        page.appendChild(offer);
      }
      page.appendChild(form);
      show(page);
      clearInterval(window.cgDraftTimer);
      window.cgDraftTimer = setInterval(function () { if (document.body.contains(form)) saveDraft(); else clearInterval(window.cgDraftTimer); }, DRAFT_EVERY_MS);
    });
  }

  /* A photo as it is sent: at most MAX_SIDE px on its longest side, JPEG, at most
   * MAX_PHOTO_BYTES (quality, then size, stepped down until it fits). */
  function shrink(file) {
    return createImageBitmap(file, { imageOrientation: "from-image" }).then(function (bitmap) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
      var attempt = function (factor, quality) {
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale * factor));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale * factor));
        var ctx = canvas.getContext("2d");
        ctx.fillStyle = "#fff";
        ctx.fillRect(0, 0, canvas.width, canvas.height);
        ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        return new Promise(function (resolve) { canvas.toBlob(resolve, "image/jpeg", quality); }).then(function (blob) {
          if (blob.size <= MAX_PHOTO_BYTES || (factor < 0.3)) return blob;
          return quality > 0.55 ? attempt(factor, quality - 0.1) : attempt(factor * 0.8, 0.8);
        });
      };
      return attempt(1, 0.85);
    }).then(function (blob) {
      return blob.arrayBuffer().then(function (bytes) {
        return S.sha256(bytes).then(function (digest) {
          return { name: (file.name || "photo").replace(/\.[^.]*$/, "") + ".jpg", size: bytes.byteLength, type: "image/jpeg",
            sha256: digest, bytes: bytes, url: URL.createObjectURL(blob), captured_at: new Date(file.lastModified || Date.now()).toISOString() };
        });
      });
    });
  }

  // --- cases -----------------------------------------------------------------------------
  function cases() {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.open_cases), missing));
    var reports = state.items.filter(function (i) { return i.kind === "case" && mine(i); }).reverse();
    var list = state.bundle.cases;
    show(h("div", null, header(T.open_cases, fmt(T.synced_at, { at: when(state.bundle.synced_at) })),
      reports.length ? h("h2", { text: T.my_reports }) : null,
      reports.map(outboxCard),
      h("h2", { text: T.in_my_grids }),
      list.length ? list.map(function (c) {
        return h("article", { "class": "card case", "data-testid": "case" },
          h("div", { "class": "row between" }, h("strong", { text: c.number }), h("span", { "class": "badge", text: c.status_name })),
          h("div", { text: c.category }),
          h("p", { "class": "desc", text: c.description }),
          h("div", { "class": "muted small", text: [c.area_name, c.address, when(c.registered_at)].filter(Boolean).join(" · ") }));
      }) : h("p", { "class": "muted", text: T.no_cases })));
  }

  // --- weekly check ----------------------------------------------------------------------
  function checks() {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.weekly_check), missing));
    var list = state.bundle.checks;
    var sentChecks = state.items.filter(function (i) { return i.kind === "check"; }).reverse();
    show(h("div", null, header(T.weekly_check),
      list.length ? list.map(checkForm) : h("p", { "class": "muted", text: T.no_checks }),
      sentChecks.length ? h("h2", { text: T.sent_checks }) : null, sentChecks.map(outboxCard)));
  }

  function checkForm(c) {
    var v = c.values || { disputes_found: 0, resolved_on_spot: 0, risk_points: 0, notes: "", is_zero: false };
    var id = function (n) { return "c-" + c.area + "-" + n; };
    var num = function (name, label) {
      return [h("label", { "for": id(name) }, label), h("input", { id: id(name), name: name, type: "number", min: 0, max: 9999, inputmode: "numeric", value: v[name] || "" })];
    };
    var zero = h("input", { type: "checkbox", id: id("is_zero"), name: "is_zero", checked: v.is_zero || null });
    var notes = h("textarea", { id: id("notes"), name: "notes", rows: 3, maxlength: 2000 });
    notes.value = v.notes || "";
    var error = h("div", { "class": "error", role: "alert" });
    var submit = h("button", { "class": "btn primary wide", type: "submit", text: T.save_send, "data-testid": "check-submit" });
    var form = h("form", { "class": "card form", "data-testid": "check-form", "data-area": c.area },
      h("div", { "class": "row between" }, h("strong", { text: c.area_name }), h("span", { "class": "muted small", text: fmt(T.due, { at: when(c.due_at) }) })),
      c.revision ? h("p", { "class": "muted small", text: fmt(T.on_record, { n: c.revision }) }) : h("p", { "class": "muted small", text: T.not_submitted }),
      h("label", { "class": "check", "for": id("is_zero") }, zero, " " + T.zero_report),
      num("disputes_found", T.disputes_found), num("resolved_on_spot", T.resolved_on_spot), num("risk_points", T.risk_points),
      h("label", { "for": id("notes") }, T.notes), notes, error, submit);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (submit.disabled) return;
      var n = function (name) { var x = form.elements[name].value; return x === "" ? 0 : parseInt(x, 10); };
      var body = { base_revision: c.revision, disputes_found: n("disputes_found"), resolved_on_spot: n("resolved_on_spot"),
        risk_points: n("risk_points"), notes: notes.value, is_zero: zero.checked, captured_at: new Date().toISOString() };
      if (body.is_zero && (body.disputes_found || body.resolved_on_spot || body.risk_points)) { error.textContent = T.zero_with_counts; return; }
      if (!body.is_zero && !(body.disputes_found || body.risk_points)) { error.textContent = T.counts_or_zero; return; }
      if (body.resolved_on_spot > body.disputes_found) { error.textContent = T.resolved_gt_found; return; }
      submit.disabled = true;
      S.get("meta", "device").then(function (d) {
        body.device_id = d ? d.id : "";
        return S.add("check", { area: c.area, week: String(c.week).slice(0, 10), body: body });
      }).then(function () { askBackgroundSync(); return refreshItems(); }).then(function () {
        location.hash = "#/outbox";
        if (navigator.onLine) flush();
      });
    });
    return form;
  }

  // --- places: buildings and rooms (registry quick actions) ---------------------------------
  function places() {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.places), missing));
    var b = state.bundle;
    show(h("div", null, header(T.places, fmt(T.buildings_n, { n: b.buildings.length })),
      b.buildings.length ? b.buildings.map(function (bd) {
        var rooms = (b.rooms || []).filter(function (r) { return r[1] === bd.id; });
        return h("a", { "class": "card row between place", href: "#/place/" + bd.code, "data-testid": "building" },
          h("span", null, h("strong", { text: bd.name }), h("span", { "class": "muted small block", text: bd.address })),
          h("span", { "class": "badge", text: fmt(T.rooms_n, { n: rooms.length }) }));
      }) : h("p", { "class": "muted", text: T.no_buildings })));
  }

  function place(code) {
    var missing = needBundle();
    if (missing) return show(h("div", null, header(T.places), missing));
    var b = state.bundle;
    var bd = b.buildings.filter(function (x) { return x.code === code; })[0];
    if (!bd) return places();
    var uses = b.room_uses || [];
    var pending = {};
    state.items.forEach(function (i) { if (i.kind === "registry" && i.target && unfinished(i)) pending[i.target] = i; });
    var rooms = (b.rooms || []).filter(function (r) { return r[1] === bd.id; });
    var verify = h("button", { "class": "btn primary wide", type: "button", "data-testid": "verify-building",
      text: pending["b" + bd.code] ? T.verify_waiting : T.verify_building, disabled: pending["b" + bd.code] ? true : null,
      onclick: function () {
        verify.disabled = true;
        queueRegistry("b" + bd.code, { url: "/api/v1/registry/buildings/" + encodeURIComponent(bd.code) + "/verify", body: {},
          label: fmt(T.verify_label, { name: bd.name }) });
      } });
    show(h("div", null, header(bd.name, bd.address),
      h("p", { "class": "muted small", text: bd.verified_at ? fmt(T.verified_at, { at: when(bd.verified_at) }) : T.never_verified }),
      verify,
      h("h2", { text: T.rooms }),
      rooms.length ? h("div", { "class": "rooms" }, rooms.map(function (r) {
        var id = "room-" + r[0];
        var select = h("select", { id: id, "data-testid": "room-use", "data-room": r[0] },
          uses.filter(function (u) { return u[0] !== "unknown" || r[5] === "unknown"; })
            .map(function (u) { return h("option", { value: u[0], text: u[1], selected: u[0] === r[5] || null }); }));
        var note = h("span", { "class": "muted small", text: pending["r" + r[0]] ? T.room_waiting : "" });
        if (pending["r" + r[0]]) {  // show the use recorded and not yet sent
          S.payloadOf(pending["r" + r[0]]).then(function (p) { select.value = p.body.use; });
        }
        select.addEventListener("change", function () {
          if (select.value === "unknown") return;
          queueRegistry("r" + r[0], { url: "/api/v1/registry/rooms/" + r[0] + "/use", body: { use: select.value, version: r[6], base_use: r[5] },
            label: fmt(T.room_label, { room: roomName(bd, r), use: select.options[select.selectedIndex].text }) }, true)
            .then(function () { note.textContent = T.room_waiting; });
        });
        return h("div", { "class": "room" }, h("label", { "for": id, text: roomName(bd, r) }), select, note);
      })) : h("p", { "class": "muted", text: T.no_rooms })));
  }

  function roomName(bd, r) { return fmt(T.room_name, { unit: r[2], floor: r[3], number: r[4] }); }

  function queueRegistry(target, payload, stay) {
    return S.add("registry", payload, { target: target }).then(function () {
      askBackgroundSync();
      return refreshItems();
    }).then(function () {
      if (!stay) location.hash = "#/outbox";
      if (navigator.onLine) flush();
    });
  }

  // --- the outbox ------------------------------------------------------------------------
  var STATE_CLASS = { waiting: "wait", sending: "wait", accepted: "ok", attached: "ok", conflict: "warn", refused: "bad", failed: "bad", update: "warn" };

  function outboxCard(item) {
    var st = T["state_" + item.state] || item.state;
    var user = state.bundle ? state.bundle.user : null;
    var foreign = user && item.user && item.user !== user.id;
    var title = item.kind === "case" ? T.kind_case : item.kind === "check" ? T.kind_check
      : item.kind === "registry" ? T.kind_registry : T.kind_photo;
    var card = h("article", { "class": "card item " + (STATE_CLASS[item.state] || ""), "data-testid": "outbox-item", "data-kind": item.kind, "data-state": item.state, "data-id": item.id },
      h("div", { "class": "row between" }, h("strong", { text: title }), h("span", { "class": "badge " + (STATE_CLASS[item.state] || ""), "data-testid": "item-state", text: st })),
      h("div", { "class": "muted small", text: fmt(T.captured_at, { at: when(item.created) }) + (item.sent ? " · " + fmt(T.sent_at, { at: when(item.sent) }) : "") }));
    if (foreign) card.appendChild(h("p", { "class": "error", text: T.other_account }));
    if (item.kind === "case" && item.result && item.result.number) card.appendChild(h("p", { "data-testid": "item-number", text: fmt(T.case_number, { number: item.result.number }) }));
    var summary = h("p", { "class": "summary", "data-testid": "item-summary" });
    card.insertBefore(summary, card.children[1]);
    if (!foreign) S.payloadOf(item).then(function (p) {
      if (item.kind === "case") summary.textContent = (p.form && p.form.description || "").slice(0, 60);
      else if (item.kind === "check") summary.textContent = (areaName(p.area) + " · " + p.week);
      else if (item.kind === "registry") summary.textContent = p.label || "";
      else summary.textContent = p.name;
    }).catch(function () { summary.textContent = ""; });
    if (item.kind === "case") {
      var photos = state.items.filter(function (p) { return p.after === item.id; });
      var pending = photos.filter(function (p) { return p.state !== "attached"; }).length;
      if (photos.length) card.appendChild(h("p", { "class": "small", "data-testid": "item-photos", text: pending ? fmt(T.photos_pending, { n: pending, total: photos.length }) : fmt(T.photos_done, { n: photos.length }) }));
      photos.forEach(function (p) {
        if (p.state === "sending" && p.result && p.result.size) card.appendChild(h("progress", { max: p.result.size, value: p.result.received || 0 }));
      });
    }
    if (item.kind === "check" && item.state === "conflict" && item.result) {
      card.appendChild(h("p", { "class": "small", text: T.conflict_explained }));
      item.result.conflicts.forEach(function (c) {
        card.appendChild(h("div", { "class": "small", "data-testid": "conflict-field", text: fmt(T.conflict_field, { field: T["field_" + c.field] || c.field, kept: String(c.kept), offered: String(c.offered) }) }));
      });
    }
    if (item.kind === "registry" && item.result && item.result.review) card.appendChild(h("p", { "class": "small", text: T.waits_review }));
    if (item.kind === "registry" && item.result && item.result.conflict) card.appendChild(h("p", { "class": "small", "data-testid": "registry-conflict", text: T.registry_conflict }));
    if (item.reason) card.appendChild(h("p", { "class": "error", "data-testid": "item-reason", text: item.reason }));
    if ((item.state === "refused" || item.state === "failed") && !foreign) {
      var actions = h("div", { "class": "row" });
      if (item.kind === "case") actions.appendChild(h("a", { "class": "btn", href: "#/edit/" + item.id, "data-testid": "item-edit", text: T.edit_resend }));
      else actions.appendChild(h("button", { "class": "btn", type: "button", text: T.resend, onclick: function () { S.update(item.id, { state: "waiting", reason: "" }).then(flush); } }));
      actions.appendChild(h("button", { "class": "btn danger", type: "button", text: T.discard, onclick: function () {
        if (confirm(T.discard_confirm)) S.remove(item.id).then(refreshItems).then(route);
      } }));
      card.appendChild(actions);
    }
    return card;
  }

  function areaName(code) {
    var all = state.bundle ? state.bundle.checks.concat(state.bundle.grids.map(function (g) { return { area: g.code, area_name: g.name }; })) : [];
    var found = all.filter(function (a) { return (a.area || a.code) === code; })[0];
    return found ? found.area_name : code;
  }

  function repaintOutbox() { if ((location.hash || "#/") === "#/outbox") outbox(); }

  function outbox() {
    // Photos are told on their report's card; a refused one also gets its own (to act on).
    var list = state.items.slice().reverse().filter(function (i) { return i.kind !== "photo" || i.state === "refused"; });
    var open = state.items.filter(unfinished);
    show(h("div", null, header(T.outbox, open.length ? fmt(T.outbox_open, { n: open.length }) : T.outbox_empty),
      h("button", { "class": "btn wide", type: "button", "data-testid": "send-now", disabled: navigator.onLine ? null : true, text: navigator.onLine ? T.send_now : T.offline_wait, onclick: function () { sync(); } }),
      list.length ? list.map(outboxCard) : h("p", { "class": "muted", text: T.nothing_yet })));
  }

  // --- routing, sign-out, start ----------------------------------------------------------
  function route() {
    var hash = location.hash || "#/";
    document.querySelectorAll("[data-tab]").forEach(function (a) {
      var tab = hash.indexOf("#/place/") === 0 ? "#/places" : hash;
      a.classList.toggle("active", ("#/" + (a.dataset.tab === "home" ? "" : a.dataset.tab)) === tab);
    });
    if (hash === "#/report") return reportForm(null);
    if (hash.indexOf("#/edit/") === 0) {
      var item = state.items.filter(function (i) { return i.id === hash.slice(7) && mine(i); })[0];
      return item ? reportForm(item) : outbox();
    }
    if (hash === "#/places") return places();
    if (hash.indexOf("#/place/") === 0) return place(decodeURIComponent(hash.slice(8)));
    if (hash === "#/cases") return cases();
    if (hash === "#/check") return checks();
    if (hash === "#/outbox") return outbox();
    return home();
  }

  document.getElementById("signout").addEventListener("click", function () {
    if (!navigator.onLine) { say(T.signout_offline, "warn"); return; }  // the session would stay
    refreshItems().then(function (list) {
      var unsent = list.filter(unfinished);
      if (unsent.length && !confirm(fmt(T.signout_unsent, { n: unsent.length }))) return null;
      if (!unsent.length && !confirm(T.signout_confirm)) return null;
      return S.get("meta", "csrf").then(function (csrf) {
        return S.wipe().then(function () {
          var form = document.getElementById("logout-form");
          form.appendChild(h("input", { type: "hidden", name: "csrfmiddlewaretoken", value: csrf || "" }));
          if ("serviceWorker" in navigator) navigator.serviceWorker.getRegistration("/field/").then(function (reg) { return reg && reg.unregister(); }).finally(function () { form.submit(); });
          else form.submit();
        });
      });
    });
  });

  window.addEventListener("online", function () { state.online = true; paintNet(); sync(); });
  window.addEventListener("offline", function () { state.online = false; paintNet(); route(); });
  window.addEventListener("hashchange", route);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && (event.data.type === "outbox" || event.data.type === "flushed")) refreshItems().then(repaintOutbox);
    });
    navigator.serviceWorker.register(APP.worker, { scope: "/field/" }).catch(function () { /* http: no worker */ });
    // The new version took over after the server asked for it: run it (the outbox is kept).
    navigator.serviceWorker.addEventListener("controllerchange", function () {
      if (state.updating) location.reload();
    });
  }

  function start() {
    return Promise.all([S.vaultGet("bundle").catch(function () { return null; }), S.get("meta", "synced"), refreshItems()]).then(function (r) {
      var synced = r[1] ? new Date(r[1]) : null;
      if (synced && (Date.now() - synced.getTime()) > WIPE_AFTER_DAYS * 86400000) {
        // Not synced for too long: what was kept of the district goes; the unsent items stay.
        return Promise.all([S.vaultDel("bundle"), S.del("meta", "synced")]).then(function () {
          say(fmt(T.cache_expired, { days: WIPE_AFTER_DAYS }), "warn");
          state.bundle = null;
        });
      }
      state.bundle = r[0];
      return null;
    }).then(function () {
      paintNet();
      if (!navigator.onLine) return route();
      // Online: the server first says whose phone this is now (a few seconds at most; on a
      // slow connection the kept copy is shown meanwhile, nothing of it opened).
      var shown = false;
      var showOnce = function () { if (!shown) { shown = true; route(); } };
      setTimeout(showOnce, 5000);
      return sync().then(showOnce);
    });
  }
  start();
})();
