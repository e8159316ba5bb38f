// Service worker of the capture app: the app shell and the area's basemap stay usable offline.
// Static files: cache first (their URLs change with each release's cache name). Pages and the
// GeoJSON the map reads: network first, the cached copy when offline. Writes (POST) always go to
// the network; the app's IndexedDB outbox keeps them until the server acknowledges them. Each
// copy in the data cache carries the time it was stored, by which My walks prunes the cache
// (offline.js, which stamps the capture page's own copies the same way).

const VERSION = "__VERSION__";
const SHELL = `trygg-shell-${VERSION}`;
const DATA = "trygg-data";
const PRECACHE = __PRECACHE__;
const STORED = "X-Trygg-Stored"; // ms since the epoch (offline.js)

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(SHELL)
      .then((cache) => cache.addAll(PRECACHE))
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

async function cacheFirst(request) {
  // MapLibre asks for its worker with ?v=<version>; the precached copy has no query.
  const cached = await caches.match(request, { ignoreSearch: true });
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(SHELL)).put(request, response.clone());
  return response;
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
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(key.href, stamped(response.clone()));
    return response;
  } catch (error) {
    const cached = await cache.match(key.href);
    if (cached) return cached;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  // A planner's preview of the app (?preview=1) keeps no offline copy: the network answers.
  if (request.mode === "navigate" && url.searchParams.has("preview")) return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(cacheFirst(request));
  } else if (
    request.mode === "navigate" ||
    /^\/api\/(areas\/[^/]+\/blocks\/|walks\/\d+\/observations\/|kinds\/)/.test(url.pathname) ||
    /^\/walks\/\d+\/manifest\.webmanifest$/.test(url.pathname)
  ) {
    event.respondWith(networkFirst(request));
  }
});
