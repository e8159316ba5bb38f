// The copies of pages and data the capture app keeps for offline use: the service worker's
// "trygg-data" cache (sw.js), which the capture page also fills itself on its first visit. Each
// copy carries the time it was stored (sw.js stamps it the same way), so that a shared tablet
// does not keep every walk's area data for ever: My walks (kept.js), which knows the signed-in
// participant's walks, prunes the copies of walks they no longer have and those grown old,
// never those an open walk needs offline. The capture page does too, at most once a day
// (pruneNowAndThen): an installed app starts on a walk's page and may never open My walks.

export const DATA = "trygg-data";
const STORED = "X-Trygg-Stored"; // when the copy was stored, in ms since the epoch (sw.js too)
// A walk done this long ago is not read on the street any more; its own page and data are
// fetched again, should it be opened.
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
// When this tablet last pruned (localStorage, ms since the epoch), whichever page did it.
const PRUNED = "trygg-offline-pruned";
const PRUNE_EVERY_MS = 24 * 60 * 60 * 1000;

// The response as stored: its own headers and body, and the time.
function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set(STORED, String(Date.now()));
  const { status, statusText } = response;
  return new Response(response.body, { status, statusText, headers });
}

// Stores the answers to `urls` (the page itself, its blocks, the walk's findings): refused as a
// whole if any of them fails, as cache.addAll is.
export async function keepOffline(urls) {
  const cache = await caches.open(DATA);
  const answers = await Promise.all(urls.map((url) => fetch(url, { credentials: "same-origin" })));
  const failed = answers.find((answer) => !answer.ok);
  if (failed) throw new Error(`not kept for offline use: ${failed.status} ${failed.url}`);
  await Promise.all(urls.map((url, i) => cache.put(url, stamped(answers[i]))));
}

// What the server answers the signed-in user at `url` now (a HEAD): its status, or null
// offline. A redirect (to the login page) is status 0.
async function statusAt(url) {
  try {
    const response = await fetch(url, { method: "HEAD", credentials: "same-origin", redirect: "manual" });
    return response.status;
  } catch {
    return null;
  }
}

// Whether the server refuses the signed-in user `url` (403: not theirs any more; 404: gone).
// Offline, or on any other answer, it does not: what depends on it stays.
export async function refusedAt(url) {
  return [403, 404].includes(await statusAt(url));
}

// The walk a copy belongs to (its capture page, report, manifest, findings), or null (My walks,
// a planning page, the kinds, the blocks of an area).
function walkOf(url) {
  const match = new URL(url).pathname.match(/^\/(?:api\/)?walks\/(\d+)\//);
  return match ? Number(match[1]) : null;
}

function ageOf(response, now) {
  const stored = Number(response.headers.get(STORED)) || Date.parse(response.headers.get("Date") || "");
  return Number.isFinite(stored) ? now - stored : Infinity; // an older app's copy, of unknown age
}

// The URL of the blocks a cached capture page's map reads (its config, walks/pages.py).
async function blocksOf(page) {
  try {
    const html = new DOMParser().parseFromString(await page.text(), "text/html");
    const config = JSON.parse(html.getElementById("capture-config").textContent);
    return new URL(config.urls.blocks, location.origin).href;
  } catch {
    return null;
  }
}

async function entryOf(cache, request, now) {
  const response = await cache.match(request);
  const walk = walkOf(request.url);
  const isPage = walk !== null && new URL(request.url).pathname === `/walks/${walk}/capture/`;
  return { url: request.url, walk, old: ageOf(response, now) > MAX_AGE_MS, reads: isPage ? await blocksOf(response) : null };
}

// Drops the copies no longer needed. `walks`: the signed-in participant's walks, as the server
// listed them for this page; `open`: those of them not yet done; `waiting`: the walks whose
// findings the tablet's outbox still holds. A copy goes
// - at once when its walk is not listed and the server refuses its address to this user (taken
//   off the walk, or the walk deleted);
// - once older than MAX_AGE_MS, when nothing of its walk waits in the outbox and its walk is
//   done (listed, not open) or not theirs to capture but served to them (a planner's report),
//   and a copy that belongs to no walk.
// A walk this page does not list and the server does not answer for (offline: the list may be
// an older copy of this page, from before the walk was added) keeps everything: what an open
// walk needs offline is never dropped. The blocks of an area go with the last capture page kept
// here that reads them. Returns the URLs dropped.
export async function pruneOffline({ walks, open, waiting }) {
  if (!window.caches || !(await caches.has(DATA))) return [];
  const cache = await caches.open(DATA);
  const now = Date.now();
  const entries = await Promise.all((await cache.keys()).map((request) => entryOf(cache, request, now)));

  async function droppable({ url, walk, old }) {
    if (walk === null) return old;
    if (walks.includes(walk)) return old && !open.includes(walk) && !waiting.has(walk);
    const status = await statusAt(url);
    if (status === 403 || status === 404) return true;
    return status === 200 && old && !waiting.has(walk);
  }

  const dropped = new Set();
  for (const entry of entries) if (await droppable(entry)) dropped.add(entry.url);
  for (const blocks of entries) {
    const pages = entries.filter((page) => page.reads === blocks.url);
    if (!pages.length) continue;
    if (pages.every((page) => dropped.has(page.url))) dropped.add(blocks.url);
    else dropped.delete(blocks.url);
  }
  await Promise.all([...dropped].map((url) => cache.delete(url)));
  localStorage.setItem(PRUNED, String(now));
  return [...dropped];
}

// pruneOffline for the capture page, which a tablet opens many times a day: only online (the
// server is asked about walks the page does not list, and offline an old copy goes all the same)
// and at most once a day on this tablet (a pruning by My walks counts; a clock set back since
// prunes again). Returns the URLs dropped, or null when it did not prune.
export async function pruneNowAndThen(lists) {
  const since = Date.now() - Number(localStorage.getItem(PRUNED));
  if (!navigator.onLine || (since >= 0 && since < PRUNE_EVERY_MS)) return null;
  return pruneOffline(lists);
}
