// Service worker of the capture app: the app shell and the area's basemap stay usable offline.
// Static files: cache first, from the cache of the worker's own release (their URLs carry no
// version), unless the pages are of another release. Pages and the GeoJSON the map reads: network
// first, the cached copy when offline. Writes (POST) always go to the network; the app's
// IndexedDB outbox keeps them until the server acknowledges them. Each copy in the data cache
// carries the time it was stored, by which My walks prunes the cache (offline.js, which stamps
// the capture page's own copies the same way).

const VERSION = "__VERSION__";
const SHELL = `trygg-shell-${VERSION}`;
const DATA = "trygg-data";
const PRECACHE = __PRECACHE__;
const STORED = "X-Trygg-Stored"; // ms since the epoch (offline.js)
const RELEASE = "__RELEASE_HEADER__"; // the release a page is of (walks/middleware.py)

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      // Past the browser's HTTP cache, which may still hold the previous release's files for a
      // minute after a deploy (their URLs are the same).
      .then((cache) => cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "no-cache" }))))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(
          names.filter((n) => n.startsWith("trygg-shell-") && n !== SHELL).map((n) => caches.delete(n)),
        ),
      )
      .then(() => self.clients.claim()),
  );
});

// The release of the pages the worker serves: the X-Trygg-Release of the last one, from the
// network or from the data cache. Their scripts and styles must be of that release too: on the
// first load after a deploy the page is the new release's while this worker, and its cache, are
// still the previous one's (a page whose template changed with its script broke on them). Noted
// in the shell cache too, as the browser may stop the worker between a page and its scripts.
// One release for all the worker's pages: a tablet runs the app in one tab.
const PAGES = "/walks/sw.js?pages"; // the key of that note, in the worker's own cache
let pagesRelease = null; // a promise of it

function releaseOfPages() {
  pagesRelease ??= caches
    .open(SHELL)
    .then((cache) => cache.match(PAGES))
    .then((note) => (note ? note.text() : VERSION));
  return pagesRelease;
}

async function noteRelease(response) {
  const release = response.headers.get(RELEASE);
  if (!release || release === (await releaseOfPages())) return; // or a redirect to sign in
  pagesRelease = Promise.resolve(release);
  const shell = await caches.open(SHELL);
  await (release === VERSION ? shell.delete(PAGES) : shell.put(PAGES, new Response(release)));
}

async function noted(response) {
  await noteRelease(response);
  return response;
}

// A copy in `cache`, whatever the query: MapLibre asks for its worker with ?v=<version>, the
// precached copy has none.
const copyIn = (cache, request) => cache.match(request, { ignoreSearch: true });

async function staticFile(request) {
  // The worker's own cache only: another release's, there while a new worker installs, is not
  // its to serve to its pages.
  const shell = await caches.open(SHELL);
  const release = await releaseOfPages();
  if (release === VERSION) {
    const copy = await copyIn(shell, request);
    if (copy) return copy;
    const response = await fetch(request, { cache: "no-cache" });
    if (response.ok) shell.put(request, response.clone());
    return response;
  }
  // A page of another release: that release's files, from the network, kept in that release's
  // cache (which its worker fills once it comes) for a tablet that goes offline before then.
  const theirs = await caches.open(`trygg-shell-${release}`);
  let response = null;
  try {
    response = await fetch(request, { cache: "no-cache" });
    if (response.ok) {
      await theirs.put(request, response.clone());
      return response;
    }
  } catch {
    // Offline: a copy, as below.
  }
  // Offline, or refused (a server restarting answers 502 or 503 for a moment): that release's
  // copy if this tablet fetched one; failing that, this worker's own, as before (the page may
  // work with it; it certainly does not without).
  const copy = (await copyIn(theirs, request)) ?? (await copyIn(shell, request));
  return copy ?? response ?? Response.error();
}

// The response as stored in the data cache: its own headers and body, and the time.
function stamped(response) {
  const headers = new Headers(response.headers);
  headers.set(STORED, String(Date.now()));
  const { status, statusText } = response;
  return new Response(response.body, { status, statusText, headers });
}

async function networkFirst(request) {
  const cache = await caches.open(DATA);
  // The map busts its own cache with ?t=; offline, any copy of the same path will do. Other
  // addresses are kept as asked for: rewriting the query (searchParams writes the blocks' bbox
  // commas as %2C) made the capture page's own copy of them (offline.js) one the worker never
  // looked up.
  const key = new URL(request.url);
  if (key.searchParams.has("t")) key.searchParams.delete("t");
  const page = request.mode === "navigate";
  try {
    const response = await fetch(request);
    if (page) await noteRelease(response);
    if (response.ok) await cache.put(key.href, stamped(response.clone()));
    return response;
  } catch (error) {
    const cached = await cache.match(key.href);
    if (!cached) throw error;
    if (page) await noteRelease(cached);
    return cached;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (request.mode === "navigate" && url.searchParams.has("preview")) {
    // A planner's preview of the app keeps no offline copy: the network answers.
    event.respondWith(fetch(request).then(noted));
  } else if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request));
  } else if (
    request.mode === "navigate" ||
    /^\/api\/(areas\/[^/]+\/blocks\/|walks\/\d+\/observations\/|kinds\/)/.test(url.pathname) ||
    /^\/walks\/\d+\/manifest\.webmanifest$/.test(url.pathname)
  ) {
    event.respondWith(networkFirst(request));
  }
});
