// The copies of pages and data the capture app keeps for offline use: the service worker's
// "trygg-data" cache (sw.js), which the capture page also fills itself on its first visit. Each
// copy carries the time it was stored (sw.js stamps it the same way), so that a shared tablet
// does not keep every walk's area data for ever: My walks (kept.js), which knows the signed-in
// participant's walks, prunes the copies of walks they no longer have and those grown old,
// never those an open walk needs offline. The capture page does too, at most once a day
// (pruneNowAndThen): an installed app starts on a walk's page and may never open My walks.
// Residents pass a tablet round without signing out: each prunes only the copies of walks they
// opened themselves (holdOffline); another's are theirs to judge, and go only once nobody has
// opened them for long.

export const DATA = "trygg-data";
const STORED = "X-Trygg-Stored"; // when the copy was stored, in ms since the epoch (sw.js too)
// A walk done this long ago is not read on the street any more; its own page and data are
// fetched again, should it be opened.
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;
// When this tablet last pruned (localStorage, ms since the epoch), whichever page did it.
const PRUNED = "trygg-offline-pruned";
const PRUNE_EVERY_MS = 24 * 60 * 60 * 1000;
// Whose copies are whose (localStorage): "walk:user", keyed as the outbox is (capture.js), to
// when that participant last opened the walk's capture page on this tablet.
const HOLDERS = "trygg-offline-holders";

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

function holders() {
  try {
    return JSON.parse(localStorage.getItem(HOLDERS)) || {};
  } catch {
    return {}; // written by hand, or cut short: pruning judges every copy as nobody's
  }
}

// `user` opened the capture page of `walk` (online or not): its copies are theirs, and theirs
// to prune; another participant signed in on this tablet leaves them alone.
export function holdOffline(walk, user) {
  localStorage.setItem(HOLDERS, JSON.stringify({ ...holders(), [`${walk}:${user}`]: Date.now() }));
}

// The path of a walk's capture page (walks/urls_pages.py), which its participants may open.
const capturePath = (walk) => `/walks/${walk}/capture/`;

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

// What the server answers the signed-in user for a walk's capture page, asked once per page
// load: My walks asks about a walk for its outbox (kept.js) and for its copies alike.
const statuses = new Map();
function walkStatus(walk) {
  if (!statuses.has(walk)) statuses.set(walk, statusAt(capturePath(walk)));
  return statuses.get(walk);
}

// Whether the server refuses the signed-in user the walk (403: not theirs any more; 404: gone).
// Offline, or on any other answer, it does not: what depends on it stays.
export async function refusedWalk(walk) {
  return [403, 404].includes(await walkStatus(walk));
}

// The walk a copy belongs to (its capture page, report, manifest, findings), or null (My walks,
// a planning page, the kinds, the blocks of an area).
function walkOf(url) {
  const match = new URL(url).pathname.match(/^\/(?:api\/)?walks\/(\d+)\//);
  return match ? Number(match[1]) : null;
}

function storedAt(response) {
  const stored = Number(response.headers.get(STORED)) || Date.parse(response.headers.get("Date") || "");
  return Number.isFinite(stored) ? stored : -Infinity; // an older app's copy, of unknown age
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

async function entryOf(cache, request) {
  const response = await cache.match(request);
  const walk = walkOf(request.url);
  const isPage = walk !== null && new URL(request.url).pathname === capturePath(walk);
  return { url: request.url, walk, stored: storedAt(response), reads: isPage ? await blocksOf(response) : null };
}

// The holders of each walk's copies: walk id → (user id → when they last opened it).
function holdersByWalk(record) {
  const byWalk = new Map();
  for (const [key, opened] of Object.entries(record)) {
    const [walk, user] = key.split(":").map(Number);
    if (!byWalk.has(walk)) byWalk.set(walk, new Map());
    byWalk.get(walk).set(user, opened);
  }
  return byWalk;
}

// Drops the copies no longer needed. `user`: the participant signed in; `walks`: their walks,
// as the server listed them for this page; `open`: those of them not yet done; `waiting`: the
// walks whose findings the tablet's outbox still holds. A copy is old when it was stored more
// than MAX_AGE_MS ago and nobody has opened its walk here since. A copy
// - of a walk another participant opened here in that time, or whose findings wait, stays: the
//   server would refuse their walk to this user, and they may come back to it offline;
// - of the user's (they opened it here, or their walks list it) goes at once when their walks do
//   not list it and the server refuses it to them (taken off the walk, or the walk deleted), and
//   once old when nothing of it waits in the outbox and it is done (listed, not open) or not
//   theirs to capture but served to them (a superuser's);
// - of nobody's (its holders' time is up, a planner's report, a page of no walk) goes once old
//   and nothing of its walk waits in the outbox.
// A walk of the user's this page does not list and the server does not answer for (offline:
// the list may be an older copy of this page, from before the walk was added) keeps
// everything: what an open walk needs offline is never dropped. The server is asked only about
// those walks, once each. The blocks of an area go with the last capture page kept here that
// reads them. Returns the URLs dropped.
export async function pruneOffline({ user, walks, open, waiting }) {
  if (!window.caches || !(await caches.has(DATA))) {
    localStorage.removeItem(HOLDERS); // signed out: the copies are gone, and their holders
    return [];
  }
  const cache = await caches.open(DATA);
  const now = Date.now();
  const recent = (time) => now - time <= MAX_AGE_MS;
  const byWalk = holdersByWalk(holders());
  const entries = await Promise.all((await cache.keys()).map((request) => entryOf(cache, request)));
  const refused = new Set(); // the user's walks the server now refuses them

  // Whether the signed-in user still needs a copy of their walk.
  async function theirs(walk, old) {
    if (walks.includes(walk)) return open.includes(walk) || !old || waiting.has(walk);
    const status = await walkStatus(walk);
    if (status === 403 || status === 404) {
      refused.add(walk);
      return false;
    }
    return status !== 200 || !old || waiting.has(walk);
  }

  async function needed({ walk, stored }) {
    if (walk === null) return recent(stored);
    const held = byWalk.get(walk) || new Map();
    const others = [...held].filter(([holder]) => holder !== user);
    // Another participant's, who opened it lately or whose findings may wait: theirs to judge.
    if (others.some(([, opened]) => recent(opened) || waiting.has(walk))) return true;
    const old = !recent(stored) && ![...held.values()].some(recent);
    if (held.has(user) || walks.includes(walk)) return theirs(walk, old);
    return !old || waiting.has(walk); // nobody's
  }

  const dropped = new Set();
  for (const entry of entries) if (!(await needed(entry))) dropped.add(entry.url);
  for (const blocks of entries) {
    const pages = entries.filter((page) => page.reads === blocks.url);
    if (!pages.length) continue;
    if (pages.every((page) => dropped.has(page.url))) dropped.add(blocks.url);
    else dropped.delete(blocks.url);
  }
  await Promise.all([...dropped].map((url) => cache.delete(url)));
  // A holder is remembered while something of their walk is kept, and unless it is refused them;
  // one a capture page (another tab) recorded meanwhile stays as it is.
  const kept = new Set(entries.filter((entry) => !dropped.has(entry.url)).map((entry) => entry.walk));
  const holding = Object.entries(holders()).filter(([key, opened]) => {
    const [walk, holder] = key.split(":").map(Number);
    return opened >= now || (kept.has(walk) && !(holder === user && refused.has(walk)));
  });
  localStorage.setItem(HOLDERS, JSON.stringify(Object.fromEntries(holding)));
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
