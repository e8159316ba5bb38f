// The capture app's outbox in IndexedDB. An observation (and its photos) stays here until the
// server has acknowledged it: "created" or "duplicate" removes it, "rejected" moves it to the
// list a participant must look at. Nothing is deleted on a network error. A finding its author
// withdraws leaves the outbox at once and waits in "withdrawals" until the server confirms it
// is gone there too. A finding corrected once it may be on the server waits in "corrections"
// (its whole corrected self, as the map shows it) until the server has taken the correction; a
// refused one is listed with the refused findings (`correction: true`). "walks" remembers each outbox's walk by name: once the walk is deleted, or
// its participant taken off it, the server no longer names it, and My walks (kept.js) still
// has to say whose findings these are.

const DB_NAME = "trygg-capture";
const DB_VERSION = 4;

function promised(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function done(tx) {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

// A finding, its photo and its walk's name into the outbox, within `tx`.
function queueIn(tx, walk, observation, photoBlob, about) {
  tx.objectStore("outbox").put({ walk, queued_at: Date.now(), ...observation });
  if (about) tx.objectStore("walks").put({ key: walk, ...about });
  if (photoBlob) {
    tx.objectStore("photos").put({
      walk,
      kind: observation.kind,
      client_id: observation.client_id,
      observation_id: null,
      blob: photoBlob,
      name: photoBlob.name || "photo.jpg",
    });
  }
}

// A preview's outbox (config.preview, walks/pages.py): it holds nothing and opens no IndexedDB,
// so a coordinator's tablet keeps no stray findings. A write to it is a bug, and says so.
function emptyQueue() {
  const queue = {
    adopt: async () => {},
    othersWaiting: async () => 0,
    waitingWalks: async () => new Set(),
    counts: async () => ({ observations: 0, photos: 0, rejected: 0, withdrawals: 0, corrections: 0 }),
  };
  for (const read of ["outboxes", "pending", "withdrawals", "corrections", "rejected", "photosReady"]) {
    queue[read] = async () => [];
  }
  const writes = ["add", "resend", "discard", "markSent", "withdraw", "withdrawn", "settle", "correct", "corrected"];
  for (const write of [...writes, "refuseCorrection", "dropPhoto", "refusePhoto", "dismissRejected"]) {
    queue[write] = async () => {
      throw new Error(`a preview keeps nothing (${write})`);
    };
  }
  return queue;
}

export async function openQueue(preview = false) {
  if (preview) return emptyQueue();
  const open = indexedDB.open(DB_NAME, DB_VERSION);
  open.onupgradeneeded = (event) => {
    const db = open.result;
    // Keyed by client_id; `walk` lets one tablet serve several walks.
    if (event.oldVersion < 1) {
      const outbox = db.createObjectStore("outbox", { keyPath: "client_id" });
      outbox.createIndex("walk", "walk");
      const photos = db.createObjectStore("photos", { keyPath: "key", autoIncrement: true });
      photos.createIndex("walk", "walk");
      photos.createIndex("client_id", "client_id");
      const rejected = db.createObjectStore("rejected", { keyPath: "client_id" });
      rejected.createIndex("walk", "walk");
    }
    if (event.oldVersion < 2) {
      db.createObjectStore("withdrawals", { keyPath: "client_id" }).createIndex("walk", "walk");
    }
    if (event.oldVersion < 3) {
      db.createObjectStore("walks", { keyPath: "key" });
    }
    if (event.oldVersion < 4) {
      db.createObjectStore("corrections", { keyPath: "client_id" }).createIndex("walk", "walk");
    }
  };
  const db = await promised(open);
  // A newer version of the app opened in another tab: let it upgrade instead of blocking it.
  db.onversionchange = () => db.close();
  return new Queue(db);
}

class Queue {
  constructor(db) {
    this.db = db;
  }

  // Findings queued under `from` (an older app keyed them by the walk alone) become the
  // signed-in participant's (`to`): on a tablet of its own, theirs.
  async adopt(from, to) {
    const stores = ["outbox", "photos", "rejected", "withdrawals", "corrections"];
    const tx = this.db.transaction(stores, "readwrite");
    for (const name of stores) {
      const store = tx.objectStore(name);
      for (const item of await promised(store.index("walk").getAll(from))) {
        store.put({ ...item, walk: to });
      }
    }
    await done(tx);
  }

  // Every outbox on this tablet that still holds findings or photos, with the walk it remembers: `key`,
  // `walk` ({id, name, area_name}, or only the id for an outbox older than the store), `findings`
  // (queued and refused; a refused one carries its `errors`) and `photos`.
  async outboxes() {
    const stores = ["outbox", "rejected", "photos", "walks"];
    const tx = this.db.transaction(stores);
    const [queued, refused, photos, walks] = await Promise.all(
      stores.map((name) => promised(tx.objectStore(name).getAll())),
    );
    const byKey = new Map();
    const of = (key) => {
      if (!byKey.has(key)) {
        const walk = walks.find((w) => w.key === key) || { id: Number(String(key).split(":")[0]) };
        byKey.set(key, { key, walk, findings: [], photos: [] });
      }
      return byKey.get(key);
    };
    // A photo the server refused for a finding it stored is listed on its own: not a finding.
    [...queued, ...refused.filter((r) => !r.photo)].forEach((item) => of(item.walk).findings.push(item));
    // Photos too whose finding the server already has: they wait for an upload that the
    // server will no longer take either.
    photos.forEach((photo) => of(photo.walk).photos.push(photo));
    return [...byKey.values()];
  }

  // The ids of the walks for which anything still waits on this tablet (findings, photos,
  // withdrawals or corrections not yet sent, or refused): their offline copies must stay. A
  // correction or withdrawal alone is no finding for `outboxes` to list, but it is still unsent.
  async waitingWalks() {
    const stores = ["outbox", "rejected", "photos", "withdrawals", "corrections"];
    const tx = this.db.transaction(stores);
    const lists = await Promise.all(stores.map((name) => promised(tx.objectStore(name).getAll())));
    return new Set(lists.flat().map((item) => Number(String(item.walk).split(":")[0])));
  }

  // Everything this tablet holds for the outbox `key`, gone for good.
  async discard(key) {
    const stores = ["outbox", "photos", "rejected", "withdrawals", "corrections"];
    const tx = this.db.transaction([...stores, "walks"], "readwrite");
    for (const name of stores) {
      const store = tx.objectStore(name);
      for (const id of await promised(store.index("walk").getAllKeys(key))) store.delete(id);
    }
    tx.objectStore("walks").delete(key);
    await done(tx);
  }

  // A refused finding, put right, goes back into the outbox in place of its refusal, under the
  // same client_id (the server stored nothing under it) and with its photos.
  async resend(walk, observation, photoBlob, about) {
    const tx = this.db.transaction(["outbox", "photos", "rejected", "walks"], "readwrite");
    tx.objectStore("rejected").delete(observation.client_id);
    const photos = tx.objectStore("photos");
    // The kind may have changed: the photos the list names go with the new one.
    for (const photo of await promised(photos.index("client_id").getAll(observation.client_id))) {
      photos.put({ ...photo, kind: observation.kind });
    }
    queueIn(tx, walk, observation, photoBlob, about);
    await done(tx);
  }

  // How many findings other participants left on this tablet for this walk (keys `prefix…`).
  async othersWaiting(prefix, own) {
    const byWalk = this.db.transaction("outbox").objectStore("outbox").index("walk");
    const all = await promised(byWalk.count(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
    return all - (await promised(byWalk.count(own)));
  }

  // `about`: the walk as the capture page knows it ({id, name, area_name}), kept with its
  // findings in the same transaction (a full tablet stores neither).
  async add(walk, observation, photoBlob, about) {
    const tx = this.db.transaction(["outbox", "photos", "walks"], "readwrite");
    queueIn(tx, walk, observation, photoBlob, about);
    await done(tx);
  }

  async pending(walk, limit = Infinity) {
    const all = await promised(
      this.db.transaction("outbox").objectStore("outbox").index("walk").getAll(walk),
    );
    all.sort((a, b) => a.queued_at - b.queued_at);
    return all.slice(0, limit);
  }

  async counts(walk) {
    const tx = this.db.transaction(["outbox", "photos", "rejected", "withdrawals", "corrections"]);
    const byWalk = (name) => tx.objectStore(name).index("walk");
    const [observations, refusedKeys, withdrawals, corrections, waitingPhotos] = await Promise.all([
      promised(byWalk("outbox").count(walk)),
      promised(byWalk("rejected").getAllKeys(walk)),
      promised(byWalk("withdrawals").count(walk)),
      promised(byWalk("corrections").count(walk)),
      promised(byWalk("photos").getAll(walk)),
    ]);
    // A refused finding's photos stay with it (Dismiss drops both) but wait for nothing: they
    // are not "waiting to upload", which kept "All synced" away for good.
    const refused = new Set(refusedKeys);
    const photos = waitingPhotos.filter((photo) => !refused.has(photo.client_id)).length;
    const rejected = refusedKeys.length;
    return { observations, photos, rejected, withdrawals, corrections };
  }

  // Marked before a batch goes out: from then on the server may hold these findings even if
  // its answer never arrives.
  async markSent(clientIds) {
    const tx = this.db.transaction("outbox", "readwrite");
    const outbox = tx.objectStore("outbox");
    for (const clientId of clientIds) {
      const item = await promised(outbox.get(clientId));
      if (item) outbox.put({ ...item, sent: true });
    }
    await done(tx);
  }

  // The finding leaves the outbox with its photos. Unless it never went out, its withdrawal
  // waits to be sent: the server may have it (a sync under way, or one whose answer was lost).
  // A correction of it still waiting goes: nothing is left to correct.
  async withdraw(walk, clientId) {
    const tx = this.db.transaction(["outbox", "photos", "withdrawals", "corrections"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const queued = await promised(outbox.get(clientId));
    outbox.delete(clientId);
    tx.objectStore("corrections").delete(clientId);
    const photos = tx.objectStore("photos");
    const keys = await promised(photos.index("client_id").getAllKeys(clientId));
    keys.forEach((key) => photos.delete(key));
    if (!queued || queued.sent) {
      tx.objectStore("withdrawals").put({ walk, client_id: clientId, queued_at: Date.now() });
    }
    await done(tx);
  }

  // `finding` corrected by its author: its client_id, the fields a correction changes (kind,
  // geometry, severity, feeling, note) and what the map shows of it (captured_at, photos, id).
  // Still in the outbox, the queued finding itself changes; unless it never went out, the
  // correction also waits to be sent, as a withdrawal does (the server may have it). A refused
  // correction put right takes the place of its refusal. `photoBlob`, a photo added, goes with
  // the finding: uploaded after its sync, or at once if the server's id for it is known.
  async correct(walk, finding, photoBlob, about) {
    const stores = ["outbox", "photos", "rejected", "corrections", "walks"];
    const tx = this.db.transaction(stores, "readwrite");
    const { client_id: clientId } = finding;
    tx.objectStore("rejected").delete(clientId);
    const outbox = tx.objectStore("outbox");
    const queued = await promised(outbox.get(clientId));
    const { kind, geometry, severity, feeling, note } = finding;
    if (queued) outbox.put({ ...queued, kind, geometry, severity, feeling, note });
    if (!queued || queued.sent) {
      tx.objectStore("corrections").put({ ...finding, walk, queued_at: Date.now() });
    }
    if (about) tx.objectStore("walks").put({ key: walk, ...about });
    const photos = tx.objectStore("photos");
    for (const photo of await promised(photos.index("client_id").getAll(clientId))) {
      photos.put({ ...photo, kind });
    }
    if (photoBlob && (queued || finding.id)) {
      photos.put({
        walk,
        kind,
        client_id: clientId,
        observation_id: queued ? null : finding.id,
        blob: photoBlob,
        name: photoBlob.name || "photo.jpg",
      });
    }
    await done(tx);
  }

  // Corrections waiting to be sent, in the order they were made.
  async corrections(walk) {
    const all = await promised(
      this.db.transaction("corrections").objectStore("corrections").index("walk").getAll(walk),
    );
    return all.sort((a, b) => a.queued_at - b.queued_at);
  }

  async corrected(clientId) {
    const tx = this.db.transaction("corrections", "readwrite");
    tx.objectStore("corrections").delete(clientId);
    await done(tx);
  }

  // A correction the server will not take (400, 403, 409) is listed as a refused finding is,
  // with the server's reasons; the finding stays on the server as it was.
  async refuseCorrection(item, errors) {
    const tx = this.db.transaction(["corrections", "rejected"], "readwrite");
    tx.objectStore("corrections").delete(item.client_id);
    const { queued_at, ...finding } = item;
    tx.objectStore("rejected").put({ ...finding, errors, correction: true });
    await done(tx);
  }

  async withdrawals(walk) {
    return promised(
      this.db.transaction("withdrawals").objectStore("withdrawals").index("walk").getAll(walk),
    );
  }

  async withdrawn(clientId) {
    const tx = this.db.transaction("withdrawals", "readwrite");
    tx.objectStore("withdrawals").delete(clientId);
    await done(tx);
  }

  // Apply the server's answer to a batch in one transaction, so a crash in between can only
  // leave an item queued (and resent as a harmless duplicate), never lose it.
  async settle(walk, sent, results) {
    const tx = this.db.transaction(["outbox", "photos", "rejected", "withdrawals"], "readwrite");
    const outbox = tx.objectStore("outbox");
    const photos = tx.objectStore("photos");
    const rejected = tx.objectStore("rejected");
    const withdrawals = tx.objectStore("withdrawals");
    const acknowledged = new Map();
    results.forEach((result, i) => {
      const item = sent[i];
      if (!item || result.client_id !== item.client_id) return;
      if (result.status === "created" || result.status === "duplicate") {
        acknowledged.set(item.client_id, result.id);
        outbox.delete(item.client_id);
      } else if (result.status === "rejected") {
        // Withdrawn while its sync was under way: nothing for the participant to look at.
        const withdrawn = withdrawals.getKey(item.client_id);
        withdrawn.onsuccess = () => {
          if (withdrawn.result === undefined) rejected.put({ ...item, walk, errors: result.errors });
        };
        outbox.delete(item.client_id);
      }
    });
    const cursorRequest = photos.index("walk").openCursor(walk);
    cursorRequest.onsuccess = () => {
      const cursor = cursorRequest.result;
      if (!cursor) return;
      const photo = cursor.value;
      if (acknowledged.has(photo.client_id)) {
        cursor.update({ ...photo, observation_id: acknowledged.get(photo.client_id) });
      }
      cursor.continue();
    };
    await done(tx);
    return acknowledged;
  }

  async photosReady(walk) {
    const all = await promised(
      this.db.transaction("photos").objectStore("photos").index("walk").getAll(walk),
    );
    return all.filter((photo) => photo.observation_id);
  }

  async dropPhoto(key) {
    const tx = this.db.transaction("photos", "readwrite");
    tx.objectStore("photos").delete(key);
    await done(tx);
  }

  // A photo the server will never take leaves the outbox and is listed as not accepted, with
  // the reasons, under a key of its own (its finding itself was accepted).
  async refusePhoto(photo, reasons) {
    const tx = this.db.transaction(["photos", "rejected"], "readwrite");
    tx.objectStore("photos").delete(photo.key);
    tx.objectStore("rejected").put({
      client_id: `photo-${photo.key}`,
      walk: photo.walk,
      kind: photo.kind,
      photo: true,
      errors: { image: reasons },
    });
    await done(tx);
  }

  async rejected(walk) {
    return promised(
      this.db.transaction("rejected").objectStore("rejected").index("walk").getAll(walk),
    );
  }

  async dismissRejected(clientId) {
    const tx = this.db.transaction(["rejected", "photos"], "readwrite");
    const rejected = tx.objectStore("rejected");
    const refused = await promised(rejected.get(clientId));
    rejected.delete(clientId);
    // A refused correction's finding is on the server: its photos still go to it.
    if (refused?.correction) return done(tx);
    const photos = tx.objectStore("photos");
    const keys = await promised(photos.index("client_id").getAllKeys(clientId));
    keys.forEach((key) => photos.delete(key));
    await done(tx);
  }
}
