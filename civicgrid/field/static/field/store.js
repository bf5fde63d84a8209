/* civicgrid offline app: the phone's store and the outbox sender.
 *
 * Loaded by the page (app.js) and by the service worker (sw.js), so the outbox is sent
 * from either: when the page sees the connection return, and from the worker's
 * background sync after the browser was closed. A Web Lock ("cg-outbox") makes sure only
 * one of them sends at a time.
 *
 * Everything kept is encrypted (AES-GCM, 256 bit) with a key made on the phone that cannot
 * be read out of the browser (a non-extractable CryptoKey). Signing out deletes the
 * database, key included: what was kept cannot be read again.
 *
 * Stores: meta (plain: the key, the device, the user, the CSRF token, the last sync),
 * vault (encrypted: the bundle, drafts), outbox (item state in plain, payload encrypted),
 * blobs (encrypted photo bytes).
 */
(function (root) {
  "use strict";
  var DB_NAME = "cg-field";
  var CHUNK = 64 * 1024;
  var TIMEOUT_MS = 30000;
  var MAX_ATTEMPTS = 5;  // server errors in a row before an item stops holding the others up
  var dbPromise = null;

  function req(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      var r = indexedDB.open(DB_NAME, 1);
      r.onupgradeneeded = function () {
        var db = r.result;
        db.createObjectStore("meta");
        db.createObjectStore("vault");
        var out = db.createObjectStore("outbox", { keyPath: "id" });
        out.createIndex("seq", "seq");
        db.createObjectStore("blobs");
      };
      r.onsuccess = function () {
        var db = r.result;
        // Deleted by another context (a sign-out in the page): forget the connection and
        // the key with it (a worker must not go on with a key that no longer exists).
        db.onversionchange = function () { db.close(); dbPromise = null; keyPromise = null; };
        resolve(db);
      };
      r.onerror = function () { dbPromise = null; reject(r.error); };
      r.onblocked = function () { /* another tab holds it: it closes on versionchange */ };
    });
    return dbPromise;
  }

  function tx(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(store, mode);
        var result;
        Promise.resolve(fn(t.objectStore(store))).then(function (v) { result = v; });
        t.oncomplete = function () { resolve(result); };
        t.onerror = function () { reject(t.error); };
        t.onabort = function () { reject(t.error); };
      });
    });
  }

  function get(store, key) { return tx(store, "readonly", function (s) { return req(s.get(key)); }); }
  function put(store, value, key) {
    return tx(store, "readwrite", function (s) { return req(key === undefined ? s.put(value) : s.put(value, key)); });
  }
  function del(store, key) { return tx(store, "readwrite", function (s) { return req(s.delete(key)); }); }
  function all(store) { return tx(store, "readonly", function (s) { return req(s.getAll()); }); }

  // --- the key and sealing -------------------------------------------------------------
  var keyPromise = null;
  function key() {
    if (keyPromise) return keyPromise;
    keyPromise = get("meta", "key").then(function (k) {
      if (k) return k;
      return crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"])
        .then(function (made) {
          // Kept only if no other tab or the worker made one meanwhile (one transaction:
          // read, then write if still absent), else theirs is used.
          return tx("meta", "readwrite", function (store) {
            return req(store.get("key")).then(function (theirs) {
              if (theirs) return theirs;
              return req(store.put(made, "key")).then(function () { return made; });
            });
          });
        });
    });
    keyPromise.catch(function () { keyPromise = null; });
    return keyPromise;
  }

  function sealBytes(bytes) {
    var iv = crypto.getRandomValues(new Uint8Array(12));
    return key().then(function (k) { return crypto.subtle.encrypt({ name: "AES-GCM", iv: iv }, k, bytes); })
      .then(function (data) { return { iv: iv, data: data }; });
  }
  function unsealBytes(rec) {
    return key().then(function (k) { return crypto.subtle.decrypt({ name: "AES-GCM", iv: rec.iv }, k, rec.data); });
  }
  function seal(value) { return sealBytes(new TextEncoder().encode(JSON.stringify(value))); }
  function unseal(rec) {
    if (!rec) return Promise.resolve(null);
    return unsealBytes(rec).then(function (buf) { return JSON.parse(new TextDecoder().decode(buf)); });
  }

  function vaultGet(name) { return get("vault", name).then(unseal); }
  function vaultPut(name, value) { return seal(value).then(function (rec) { return put("vault", rec, name); }); }
  function vaultDel(name) { return del("vault", name); }

  function hex(buf) {
    return Array.prototype.map.call(new Uint8Array(buf), function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function sha256(buf) { return crypto.subtle.digest("SHA-256", buf).then(hex); }
  function uuid() {
    if (crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    var h = hex(b.buffer);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  // --- the outbox ----------------------------------------------------------------------
  // An item: {id (the Idempotency-Key), seq, kind: case|photo|check|registry, user, state, reason,
  //   created, sent, result, after (the id of the item it waits for), payload (sealed)}.
  // States: waiting → sending → accepted (case, check) / attached (photo); conflict;
  //   refused (with the server's reason: edit and send again); failed (the server failed on
  //   it MAX_ATTEMPTS times: send again or discard); update (app too old).
  function items() {
    return all("outbox").then(function (list) { return list.sort(function (a, b) { return a.seq - b.seq; }); });
  }

  function add(kind, payload, extra) {
    return Promise.all([seal(payload), get("meta", "seq"), get("meta", "user")]).then(function (r) {
      var seq = (r[1] || 0) + 1;
      var item = Object.assign({
        id: uuid(), seq: seq, kind: kind, user: r[2] ? r[2].id : null, state: "waiting",
        reason: "", created: new Date().toISOString(), sent: null, result: null, after: null,
        payload: r[0],
      }, extra || {});
      return put("meta", seq, "seq").then(function () { return put("outbox", item); })
        .then(function () { return item; });
    });
  }

  function update(id, patch) {
    return get("outbox", id).then(function (item) {
      if (!item) return null;
      Object.assign(item, patch);
      return put("outbox", item).then(function () { return item; });
    });
  }

  function payloadOf(item) { return unseal(item.payload); }

  function replacePayload(id, payload) {
    return seal(payload).then(function (rec) { return update(id, { payload: rec, state: "waiting", reason: "" }); });
  }

  function remove(id) {
    // An item goes with everything that waits for it (a report's photos).
    return all("outbox").then(function (list) {
      var ids = [id].concat(list.filter(function (i) { return i.after === id; }).map(function (i) { return i.id; }));
      return Promise.all(ids.map(function (x) {
        return del("outbox", x).then(function () { return del("blobs", x); });
      }));
    });
  }

  // --- sending -------------------------------------------------------------------------
  function Stop(kind, detail) { this.kind = kind; this.detail = detail; }

  function reasonOf(body) {
    if (!body) return "";
    var parts = [];
    if (body.message) parts.push(body.message);
    var d = body.details;
    if (d && typeof d === "object") {
      Object.keys(d).forEach(function (k) {
        var v = d[k];
        parts.push(Array.isArray(v) ? v.map(function (x) { return typeof x === "string" ? x : (x.msg || JSON.stringify(x)); }).join(" ") : String(v));
      });
    }
    return parts.join(" ").slice(0, 500);
  }

  function call(ctx, method, url, body, headers) {
    var h = Object.assign({ "X-CSRFToken": ctx.csrf || "", "Accept": "application/json" }, headers || {});
    h[ctx.header] = String(ctx.version);
    var init = { method: method, headers: h, credentials: "same-origin", cache: "no-store" };
    if (body instanceof ArrayBuffer) { init.body = body; h["Content-Type"] = "application/octet-stream"; }
    else if (body !== undefined) { init.body = JSON.stringify(body); h["Content-Type"] = "application/json"; }
    // A connection that hangs (a basement) counts as none: the item is sent again later.
    var abort = root.AbortController ? new AbortController() : null;
    var timer = abort ? setTimeout(function () { abort.abort(); }, TIMEOUT_MS) : null;
    if (abort) init.signal = abort.signal;
    return fetch(url, init).then(function (response) {
      return response.text().then(function (text) {
        if (timer) clearTimeout(timer);
        var data = null;
        try { data = text ? JSON.parse(text) : null; } catch (e) { data = null; }
        if (response.status === 426) throw new Stop("update", data);
        if (response.status === 401) throw new Stop("signin", data);
        if (response.status === 403 && data && /csrf/i.test(data.message || "")) throw new Stop("csrf", data);
        if (response.status === 403 && data && data.code !== "forbidden") throw new Stop("signin", data);
        // Not our API's answer (a proxy's or a captive portal's page), too many requests, a
        // timeout, a server error: nothing was decided about the item; it is sent again.
        if (response.status >= 500 || response.status === 408 || response.status === 429 ||
            (response.status >= 400 && (!data || !data.code))) throw new Stop("server", data);
        return { status: response.status, data: data };
      });
    }, function () { if (timer) clearTimeout(timer); throw new Stop("offline"); });
  }

  function sendCase(ctx, item) {
    return payloadOf(item).then(function (p) {
      return call(ctx, "POST", "/api/v1/cases", p.body, { "Idempotency-Key": item.id });
    }).then(function (r) {
      if (r.status === 201 || r.status === 200) {
        return update(item.id, { state: "accepted", reason: "", sent: new Date().toISOString(), result: { number: r.data.number } });
      }
      return update(item.id, { state: "refused", reason: reasonOf(r.data) || ("HTTP " + r.status) });
    });
  }

  function sendCheck(ctx, item) {
    return payloadOf(item).then(function (p) {
      return call(ctx, "POST", "/api/v1/checks/" + encodeURIComponent(p.area) + "/" + p.week, p.body, { "Idempotency-Key": item.id });
    }).then(function (r) {
      if (r.status === 200) {
        var state = r.data.state === "conflict" ? "conflict" : "accepted";
        return update(item.id, { state: state, reason: "", sent: new Date().toISOString(),
          result: { revision: r.data.revision, conflicts: r.data.conflicts.filter(function (c) { return !c.resolved; }), merged: r.data.merged } });
      }
      return update(item.id, { state: "refused", reason: reasonOf(r.data) || ("HTTP " + r.status) });
    });
  }

  /* A registry edit made on the spot: a room's use (made on the room's version, with the
   * use seen: the registry merges a stale one, or keeps it as a conflict for a reviewer:
   * 202 with `conflict`) or a building seen today. 202: the edit waits for a reviewer. */
  function sendRegistry(ctx, item) {
    return payloadOf(item).then(function (p) {
      return call(ctx, "POST", p.url, p.body, { "Idempotency-Key": item.id });
    }).then(function (r) {
      if (r.status === 200 || r.status === 201 || r.status === 202) {
        var conflict = r.status === 202 && r.data && r.data.conflict;
        return update(item.id, { state: conflict ? "conflict" : "accepted", reason: "", sent: new Date().toISOString(),
          result: { review: r.status === 202 && !conflict, conflict: !!conflict } });
      }
      return update(item.id, { state: "refused", reason: reasonOf(r.data) || ("HTTP " + r.status) });
    });
  }

  function sendPhoto(ctx, item, byId) {
    var parent = byId[item.after];
    if (!parent || parent.state !== "accepted") return Promise.resolve(null); // waits for its report
    var number = parent.result.number;
    return payloadOf(item).then(function (p) {
      var begin = { upload_id: item.id, "case": number, name: p.name, size: p.size, sha256: p.sha256,
        content_type: p.type, device_id: ctx.device || "", captured_at: p.captured_at };
      // Asked first: an upload that arrived already (its answer was lost) needs no bytes.
      return call(ctx, "POST", "/api/v1/field/photos", begin).then(function (b) {
        if (b.status !== 200) return update(item.id, { state: "refused", reason: reasonOf(b.data) });
        if (b.data.state !== "receiving") return sendChunks(ctx, item, null, b.data);
        return get("blobs", item.id).then(function (rec) {
          if (!rec) return update(item.id, { state: "refused", reason: ctx.texts.photo_lost || "photo missing" });
          return unsealBytes(rec).then(function (bytes) { return sendChunks(ctx, item, bytes, b.data); });
        });
      });
    });
  }

  function sendChunks(ctx, item, bytes, status) {
    if (status.state === "attached") {
      return update(item.id, { state: "attached", reason: "", sent: new Date().toISOString(), result: { attachment: status.attachment_id, received: status.size } })
        .then(function (u) { return del("blobs", item.id).then(function () { return u; }); });
    }
    if (status.state === "refused") return update(item.id, { state: "refused", reason: status.reason });
    var offset = status.received;
    // Everything arrived but was not attached yet (the server attaches it when asked again).
    if (offset >= bytes.byteLength) return Promise.reject(new Stop("server", status));
    var piece = bytes.slice(offset, Math.min(offset + CHUNK, bytes.byteLength));
    return update(item.id, { state: "sending", result: { received: offset, size: bytes.byteLength } }).then(function () {
      if (ctx.onProgress) ctx.onProgress();
      return sha256(piece);
    }).then(function (digest) {
      return call(ctx, "PUT", "/api/v1/field/photos/" + item.id + "?offset=" + offset, piece, { "X-Chunk-Sha256": digest });
    }).then(function (r) {
      if (r.status === 200 || r.status === 409) return sendChunks(ctx, item, bytes, r.data);
      if (r.status === 400 && r.data && r.data.details && r.data.details.sha256) {
        // the whole did not match: the server started over, so do we
        return sendChunks(ctx, item, bytes, { state: "receiving", received: 0 });
      }
      if (r.status === 400 && r.data && r.data.details && r.data.details.chunk) {
        throw new Stop("server", r.data);  // damaged on the way: sent again later
      }
      return update(item.id, { state: "refused", reason: reasonOf(r.data) || ("HTTP " + r.status) });
    });
  }

  function context() {
    return Promise.all([get("meta", "csrf"), get("meta", "app"), get("meta", "device"), get("meta", "user")])
      .then(function (r) {
        var app = r[1] || {};
        return { csrf: r[0], version: app.version, header: app.header || "X-Civicgrid-App", texts: app.texts || {},
          device: r[2] ? r[2].id : "", user: r[3] };
      });
  }

  var SENDABLE = { waiting: 1, sending: 1 };

  /* Send what waits, in order. Stops at the first sign that nothing more can go now (no
   * connection, signed out, app too old, server error) and says why; a refused item does
   * not stop the ones after it. Returns {sent, stopped}. */
  function flush(hooks) {
    hooks = hooks || {};
    var run = function () {
      return Promise.all([context(), items()]).then(function (r) {
        var ctx = r[0];
        ctx.onProgress = hooks.onProgress;
        var list = r[1];
        var byId = {};
        list.forEach(function (i) { byId[i.id] = i; });
        var sent = 0;
        var chain = Promise.resolve();
        list.forEach(function (item) {
          chain = chain.then(function () {
            if (!SENDABLE[item.state] && item.state !== "update") return null;
            if (ctx.user && item.user && item.user !== ctx.user.id) return null; // another account's
            var step = item.kind === "case" ? sendCase(ctx, item)
              : item.kind === "check" ? sendCheck(ctx, item)
              : item.kind === "registry" ? sendRegistry(ctx, item) : sendPhoto(ctx, item, byId);
            return step.then(function (u) {
              if (u) { byId[u.id] = u; if (u.state !== "waiting") sent += 1; }
              if (hooks.onProgress) hooks.onProgress();
            }, function (e) {
              if (!(e instanceof Stop) || e.kind !== "server") throw e;
              // The server failed on this item: after MAX_ATTEMPTS it stops holding up the
              // items after it (kept, to be sent again or discarded by the worker).
              var attempts = (item.attempts || 0) + 1;
              return update(item.id, attempts >= MAX_ATTEMPTS
                ? { attempts: attempts, state: "failed", reason: ctx.texts.server_failed || "server error" }
                : { attempts: attempts }).then(function (u) {
                if (u) byId[u.id] = u;
                if (attempts < MAX_ATTEMPTS) throw e;
              });
            });
          });
        });
        return chain.then(function () { return { sent: sent, stopped: null }; }, function (e) {
          if (e instanceof Stop) {
            var p = e.kind === "update" ? markUpdate(list) : Promise.resolve();
            return p.then(function () { return { sent: sent, stopped: e.kind, detail: e.detail }; });
          }
          throw e;
        });
      });
    };
    if (root.navigator && navigator.locks) return navigator.locks.request("cg-outbox", run);
    return run();
  }

  function markUpdate(list) {
    return Promise.all(list.filter(function (i) { return SENDABLE[i.state]; })
      .map(function (i) { return update(i.id, { state: "update" }); }));
  }

  function wipe() {
    keyPromise = null;
    var closing = dbPromise ? dbPromise.then(function (db) { db.close(); }) : Promise.resolve();
    dbPromise = null;
    return closing.then(function () {
      return new Promise(function (resolve) {
        var r = indexedDB.deleteDatabase(DB_NAME);
        r.onsuccess = r.onerror = r.onblocked = function () { resolve(); };
      });
    }).then(function () {
      if (!root.caches) return null;
      return caches.keys().then(function (names) {
        return Promise.all(names.filter(function (n) { return n.indexOf("cg-field") === 0; }).map(function (n) { return caches.delete(n); }));
      });
    });
  }

  root.cgStore = {
    get: get, put: put, del: del, all: all, vaultGet: vaultGet, vaultPut: vaultPut, vaultDel: vaultDel,
    sealBytes: sealBytes, unsealBytes: unsealBytes, sha256: sha256, uuid: uuid, items: items, add: add,
    update: update, payloadOf: payloadOf, replacePayload: replacePayload, remove: remove, flush: flush,
    wipe: wipe, CHUNK: CHUNK,
  };
})(self);
