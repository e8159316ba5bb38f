// My walks: findings this tablet holds for a walk that no longer takes them (deleted, or the
// participant taken off it). Their capture page cannot send them and, once reloaded, no longer
// opens, so here they are listed by the walk's name as the tablet remembers it: Download hands
// them over (to the coordinator), Discard drops them after asking. Knowing the user's walks, the
// page also prunes the copies the capture app keeps for offline use (offline.js).
import { openQueue } from "./queue.js";
import { pruneOffline, refusedWalk } from "./offline.js";
import { strToU8, zipSync } from "/static/vendor/fflate/browser.js";

const config = JSON.parse(document.getElementById("kept-config").textContent);
const words = config.words;
const say = (text, values) => text.replace(/%\((\w+)\)s/g, (_, name) => values[name]);
const count = (n, one, many) => say(n === 1 ? words[one] : words[many], { n });

// The signed-in user's outboxes ("walk:user"); one an older app keyed by the walk alone is
// theirs too, as the capture page would adopt it.
function isMine(key) {
  const [, user] = String(key).split(":");
  return user === undefined || user === String(config.user);
}

// Whether the server no longer takes findings for the walk: its capture page answers 404
// (deleted) or 403 (taken off it). Walks My walks lists are the user's; offline, or on any other
// answer, the outbox is left to its capture page, which sends it. Pruning asks the same
// question about the same walks: the server is asked once (offline.js).
async function refused(walkId) {
  if (config.walks.includes(walkId)) return false;
  return refusedWalk(walkId);
}

function walkName(walk) {
  return walk.name || say(words.walk, { id: walk.id });
}

function extension(photo) {
  const byType = { "image/jpeg": "jpg", "image/png": "png", "image/webp": "webp" };
  return byType[photo.blob.type] || photo.name.split(".").pop() || "jpg";
}

// The findings as GeoJSON with what the participant gave each one; a refused one says why.
// Photos are files of their own, named by their finding's client_id.
function collection(outbox, photoNames) {
  return {
    type: "FeatureCollection",
    walk: { id: outbox.walk.id, name: walkName(outbox.walk), area: outbox.walk.area_name ?? null },
    features: outbox.findings.map((item) => ({
      type: "Feature",
      geometry: item.geometry,
      properties: {
        client_id: item.client_id,
        kind: item.kind,
        severity: item.severity ?? null,
        feeling: item.feeling ?? null,
        note: item.note ?? "",
        captured_at: item.captured_at,
        accuracy_m: item.accuracy_m ?? null,
        photos: photoNames.get(item.client_id) || [],
        ...(item.errors ? { refused: Object.values(item.errors).flat() } : {}),
      },
    })),
  };
}

function zipArchive(files) {
  return new Blob([zipSync(files)], { type: "application/zip" });
}

// One GeoJSON file; with photos, a zip of it and the photos.
async function download(outbox) {
  const base = `trygg-walk-${outbox.walk.id}`;
  const photoNames = new Map();
  const photoFiles = {};
  for (const photo of outbox.photos) {
    const names = photoNames.get(photo.client_id) || [];
    const name = `photos/${photo.client_id}-${names.length + 1}.${extension(photo)}`;
    photoNames.set(photo.client_id, [...names, name]);
    // Stored as they are: a JPEG does not compress further.
    photoFiles[name] = [new Uint8Array(await photo.blob.arrayBuffer()), { level: 0 }];
  }
  const geojson = JSON.stringify(collection(outbox, photoNames), null, 1);
  const [file, name] = outbox.photos.length
    ? [zipArchive({ [`${base}.geojson`]: strToU8(geojson), ...photoFiles }), `${base}.zip`]
    : [new Blob([geojson], { type: "application/geo+json" }), `${base}.geojson`];
  const link = Object.assign(document.createElement("a"), { href: URL.createObjectURL(file), download: name });
  document.body.append(link);
  link.click();
  link.remove();
  // The browser reads the file after this click returns: let it, then free the memory.
  setTimeout(() => URL.revokeObjectURL(link.href), 60_000);
}

function row(queue, outbox) {
  const item = document.getElementById("kept-item").content.firstElementChild.cloneNode(true);
  item.dataset.walk = String(outbox.walk.id);
  item.querySelector(".name").textContent = walkName(outbox.walk);
  const facts = [count(outbox.findings.length, "finding", "findings")];
  if (outbox.photos.length) facts.push(count(outbox.photos.length, "photo", "photos"));
  if (outbox.walk.area_name) facts.unshift(outbox.walk.area_name);
  item.querySelector(".meta").textContent = facts.join(" · ");
  item.querySelector(".download").addEventListener("click", () => download(outbox));
  item.querySelector(".discard").addEventListener("click", async () => {
    if (!window.confirm(say(words.discard_question, { name: walkName(outbox.walk) }))) return;
    await queue.discard(outbox.key);
    item.remove();
    document.getElementById("kept").hidden = !document.querySelector("#kept-list li");
  });
  return item;
}

async function show(queue, outboxes) {
  const mine = outboxes.filter((outbox) => isMine(outbox.key));
  const kept = [];
  for (const outbox of mine) if (await refused(outbox.walk.id)) kept.push(outbox);
  document.getElementById("kept-list").replaceChildren(...kept.map((outbox) => row(queue, outbox)));
  document.getElementById("kept").hidden = !kept.length;
  document.body.dataset.keptReady = "true"; // for the browser tests
}

// The offline copies of walks the user no longer has, or grown old; never those of a walk for
// which anything (anyone's: the tablet may be passed round) still waits to be sent, nor those
// another participant opened on this tablet (theirs to prune).
async function prune(queue) {
  const waiting = await queue.waitingWalks();
  await pruneOffline({ user: config.user, walks: config.walks, open: config.open, waiting });
  document.body.dataset.pruned = "true"; // for the browser tests
}

async function start() {
  if (!window.indexedDB) return;
  const queue = await openQueue();
  const outboxes = await queue.outboxes();
  await Promise.all([
    show(queue, outboxes).catch((error) => console.warn("the tablet's kept findings could not be read", error)),
    prune(queue).catch((error) => console.warn("the offline copies were not pruned", error)),
  ]);
}

start().catch((error) => console.warn("the tablet's outbox could not be opened", error));
