// The tablet capture app: place observations on the area's own blocks, keep them in an
// IndexedDB outbox and sync them when a connection is there.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
import { LANGUAGES, pickLanguage, translator } from "./i18n.js";
import { openQueue } from "./queue.js";
import { reasonsOf, renderRefused } from "./refused.js";
import { mapWords, rewordControls } from "/static/js/map-words.js";

const config = JSON.parse(document.getElementById("capture-config").textContent);
const walkId = config.walk.id;
// The outbox keeps each participant's findings apart: on a tablet passed round, what one
// captured goes out under their name, when they are signed in, never under the next one's.
const queueKey = `${walkId}:${config.user}`;
const BATCH = 100;
const MAX_BACKOFF_S = 60;

let language = pickLanguage(config.language);
let t = translator(language);
// The toast keeps its word, not its text, so a language switch while it shows re-words it.
let flashWord = null;
const $ = (selector) => document.querySelector(selector);
const queue = await openQueue();
await queue.adopt(walkId, queueKey);
// Stored with each finding: should the walk be deleted, or the participant taken off it, My walks
// still names the walk whose findings the outbox holds.
const walkAbout = { id: walkId, name: config.walk.name, area_name: config.walk.area_name };

// ---------- map ----------
// Each source's findings are drawn by three layers, one per kind of geometry.
const SHAPES = { areas: "Polygon", lines: "LineString", points: "Point" };
const FINDING_LAYERS = ["points", "lines", "areas"].flatMap((shape) => [
  `queued-${shape}`,
  `stored-${shape}`,
]);

// `hidden`: the client_ids of findings withdrawn on this tablet that the server may still hold.
function shapeFilter(shape, hidden = []) {
  const filter = ["==", ["geometry-type"], SHAPES[shape]];
  if (!hidden.length) return filter;
  return ["all", filter, ["!", ["in", ["get", "client_id"], ["literal", hidden]]]];
}

// MapLibre starts its worker from a URL; a worker's own script request does not reliably reach
// the service worker when the tablet is offline. Loading the source through fetch (which the
// service worker answers from its cache) and handing MapLibre a blob URL works either way.
try {
  const response = await fetch(config.urls.map_worker);
  const source = new Blob([await response.text()], { type: "text/javascript" });
  maplibregl.setWorkerUrl(URL.createObjectURL(source));
} catch (error) {
  console.warn("map worker kept at its default URL", error);
}
const [xmin, ymin, xmax, ymax] = config.walk.extent;
// A night walk gets a dark basemap: a bright screen in the dark dazzles the participant and
// draws eyes to them. The findings keep their colours.
const NIGHT = config.walk.light === "night";
const BASEMAP = NIGHT
  ? {
      background: "#0b141b",
      blocks: "#1c2a35",
      edges: "#40525f",
      route: "#6fb3ff",
      ink: "#eef2f4",
      pin: "#f5b041",
    }
  : {
      background: "#e9eef0",
      blocks: "#fdfcf7",
      edges: "#9aa7ad",
      route: "#2c6fbb",
      ink: "#111",
      pin: "#111",
    };
document.body.classList.toggle("night", NIGHT);
const map = new maplibregl.Map({
  container: "map",
  bounds: [
    [xmin, ymin],
    [xmax, ymax],
  ],
  fitBoundsOptions: { padding: 24 },
  attributionControl: false,
  locale: mapWords(language),
  // No outside tiles: the area's blocks are the basemap.
  style: {
    version: 8,
    sources: {
      blocks: { type: "geojson", data: config.urls.blocks },
      route: { type: "geojson", data: routeFeatures() },
      boundary: { type: "geojson", data: config.walk.boundary || empty() },
      stored: { type: "geojson", data: config.urls.observations },
      queued: { type: "geojson", data: empty() },
      draft: { type: "geojson", data: empty() },
      gps: { type: "geojson", data: empty() },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": BASEMAP.background } },
      { id: "blocks", type: "fill", source: "blocks", paint: { "fill-color": BASEMAP.blocks } },
      {
        id: "block-edges",
        type: "line",
        source: "blocks",
        paint: { "line-color": BASEMAP.edges, "line-width": 1.5 },
      },
      {
        // The area's edge: findings beyond it (and its tolerance) are not accepted.
        id: "boundary",
        type: "line",
        source: "boundary",
        paint: { "line-color": BASEMAP.pin, "line-width": 2.5, "line-dasharray": [4, 2] },
      },
      {
        id: "route",
        type: "line",
        source: "route",
        paint: { "line-color": BASEMAP.route, "line-width": 4, "line-dasharray": [2, 1.5] },
      },
      {
        id: "gps-accuracy",
        type: "fill",
        source: "gps",
        filter: ["==", ["geometry-type"], "Polygon"],
        paint: { "fill-color": "#1a73e8", "fill-opacity": 0.15 },
      },
      {
        id: "gps-dot",
        type: "circle",
        source: "gps",
        filter: ["==", ["geometry-type"], "Point"],
        paint: {
          "circle-radius": 8,
          "circle-color": "#1a73e8",
          "circle-stroke-color": "#fff",
          "circle-stroke-width": 3,
        },
      },
      ...observationLayers("stored", "#c0392b", "#1e8449", 1),
      ...observationLayers("queued", "#e67e22", "#e67e22", 0.9),
      {
        id: "draft-line",
        type: "line",
        source: "draft",
        paint: { "line-color": BASEMAP.ink, "line-width": 4, "line-dasharray": [1, 1] },
      },
    ],
  },
});
map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
// For the browser tests and for debugging on a tablet.
window.tryggCapture = { map };

function empty() {
  return { type: "FeatureCollection", features: [] };
}

function routeFeatures() {
  const route = config.walk.route;
  return route ? { type: "Feature", geometry: route, properties: {} } : empty();
}

function observationLayers(source, negative, positive, opacity) {
  const color = ["case", ["==", ["get", "positive"], true], positive, negative];
  return [
    {
      id: `${source}-areas`,
      type: "fill",
      source,
      filter: shapeFilter("areas"),
      paint: { "fill-color": color, "fill-opacity": 0.25 * opacity },
    },
    {
      id: `${source}-lines`,
      type: "line",
      source,
      filter: shapeFilter("lines"),
      paint: { "line-color": color, "line-width": 4, "line-opacity": opacity },
    },
    {
      id: `${source}-points`,
      type: "circle",
      source,
      filter: shapeFilter("points"),
      paint: {
        "circle-radius": 9,
        "circle-color": color,
        "circle-opacity": opacity,
        "circle-stroke-color": source === "queued" ? "#fff" : BASEMAP.ink,
        "circle-stroke-width": 2,
      },
    },
  ];
}

const kindsByCode = Object.fromEntries(config.kinds.map((k) => [k.code, k]));

// ---------- GPS ----------
let gps = null; // {lon, lat, accuracy}
function circle(lon, lat, radiusM, steps = 48) {
  const ring = [];
  const dLat = radiusM / 111320;
  const dLon = radiusM / (111320 * Math.cos((lat * Math.PI) / 180));
  for (let i = 0; i <= steps; i++) {
    const a = (i / steps) * 2 * Math.PI;
    ring.push([lon + dLon * Math.cos(a), lat + dLat * Math.sin(a)]);
  }
  return { type: "Polygon", coordinates: [ring] };
}

function showGps() {
  if (!gps || !map.getSource("gps")) return;
  map.getSource("gps").setData({
    type: "FeatureCollection",
    features: [
      { type: "Feature", geometry: circle(gps.lon, gps.lat, gps.accuracy || 1), properties: {} },
      { type: "Feature", geometry: { type: "Point", coordinates: [gps.lon, gps.lat] }, properties: {} },
    ],
  });
}

if ("geolocation" in navigator) {
  navigator.geolocation.watchPosition(
    (position) => {
      const { longitude, latitude, accuracy } = position.coords;
      gps = { lon: longitude, lat: latitude, accuracy };
      showGps();
    },
    () => {},
    { enableHighAccuracy: true, maximumAge: 5000 },
  );
}

$("#locate").addEventListener("click", () => {
  if (gps) map.easeTo({ center: [gps.lon, gps.lat], zoom: Math.max(map.getZoom(), 17) });
  else flash("no_gps");
});

// ---------- drafting an observation ----------
// mode: "point" (one tap), "sightline" (where you stand, then what you cannot see), "line" or
// "area" (a tap per vertex, then Done). A kind drawn in more than one way starts as a point,
// the quickest, and offers the others.
let draft = null; // {kind, mode, markers: [], severity, feeling}
const SHAPES_OF = { Point: "point", LineString: "line", Polygon: "area" };
const MAX_VERTICES = 50;

function modesOf(kind) {
  const modes = kind.geometry_types.map((type) => SHAPES_OF[type]).filter(Boolean);
  return modes.length === 1 && modes[0] === "line" ? ["sightline"] : modes;
}

function geometryMode(kind) {
  return modesOf(kind)[0];
}

function startDraft(code) {
  const fixing = correcting; // a kind tapped while fixing a refused finding is its new kind
  cancelDraft();
  closeFinding();
  closeMine();
  const kind = kindsByCode[code];
  draft = { kind, mode: geometryMode(kind), markers: [], severity: null, feeling: null };
  document.querySelectorAll(".kind").forEach((b) => pressed(b, b.dataset.kind === code, "active"));
  showShapes();
  hintForDraft();
  if (fixing) restoreDraft(fixing);
}

// ---------- a finding the server refused, put right ----------
// Fix brings a refused finding back as the finding being drafted: its pins where it was put,
// its answers in the sheet, the server's reasons above them. Saved, it takes the place of its
// refusal in the outbox under the same client_id: the server stored nothing under that id, so
// it stores the finding put right (and a lost answer still only makes a harmless duplicate).
let correcting = null; // the refused finding being put right

function fixRefused(item) {
  correcting = item;
  if (kindsByCode[item.kind]) startDraft(item.kind);
  else {
    // A kind this page no longer offers: what the finding is must be chosen again first.
    cancelDraft();
    correcting = item;
    hint(t("choose_other_kind"));
  }
}

function restoreDraft(item) {
  correcting = item;
  draft.severity = item.severity ?? null;
  draft.feeling = item.feeling ?? null;
  document.querySelectorAll(".scale").forEach((scale) => {
    scale.querySelectorAll("button").forEach((b) => pressed(b, Number(b.value) === draft[scale.dataset.field]));
  });
  $("#note").value = item.note || "";
  $("#sheet-why").textContent = reasonsOf(item);
  $("#sheet-why").hidden = false;
  const mode = drawnAs(item.geometry, draft.kind);
  if (!mode) return; // the new kind is drawn in another way: drawn afresh, as the hint says
  setMode(mode);
  const vertices = verticesOf(item.geometry);
  vertices.forEach((vertex) => addPin(vertex));
  const bounds = vertices.reduce((b, v) => b.extend(v), new maplibregl.LngLatBounds(vertices[0], vertices[0]));
  map.fitBounds(bounds, { padding: 120, maxZoom: 17, duration: 0 });
  openSheet();
}

// How the draft draws `geometry` for `kind`, or null when the kind takes no such shape.
function drawnAs(geometry, kind) {
  const modes = modesOf(kind);
  const mode = SHAPES_OF[geometry?.type];
  if (modes.includes(mode)) return mode;
  const twoPins = geometry?.type === "LineString" && geometry.coordinates.length === 2;
  return twoPins && modes.includes("sightline") ? "sightline" : null;
}

function verticesOf(geometry) {
  if (geometry.type === "Point") return [geometry.coordinates];
  if (geometry.type === "Polygon") return geometry.coordinates[0].slice(0, -1); // open the ring
  return geometry.coordinates;
}

// A choice shown by colour is also told to screen readers.
function pressed(button, on, className = "chosen") {
  button.classList.toggle(className, on);
  button.setAttribute("aria-pressed", String(on));
}

function setMode(mode) {
  if (!draft || draft.mode === mode) return;
  draft.markers.forEach((m) => m.remove());
  draft.markers = [];
  draft.mode = mode;
  map.getSource("draft")?.setData(empty());
  $("#sheet").hidden = true;
  showShapes();
  hintForDraft();
}

// The shape buttons of a kind drawn in several ways, and Done while drawing a line or area.
function showShapes() {
  const bar = $("#shapes");
  const modes = draft ? modesOf(draft.kind) : [];
  // Not while the sheet is open: on a phone the bar would cover its Save button.
  bar.hidden = modes.length < 2 || !$("#sheet").hidden;
  bar.querySelectorAll("[data-shape]").forEach((button) => {
    button.hidden = !modes.includes(button.dataset.shape);
    pressed(button, draft?.mode === button.dataset.shape);
  });
  const drawing = draft && (draft.mode === "line" || draft.mode === "area");
  $("#finish").hidden = !drawing || !$("#sheet").hidden;
  $("#finish").disabled = !drawing || !shapeComplete();
  const placing = Boolean(draft) && $("#sheet").hidden && draft.markers.length < pinsWanted();
  $("#place").hidden = !placing;
  $("#crosshair").hidden = !placing;
}

function pinsWanted() {
  if (draft.mode === "point") return 1;
  if (draft.mode === "sightline") return 2;
  return MAX_VERTICES;
}

function shapeComplete() {
  const n = draft.markers.length;
  if (draft.mode === "line") return n >= 2;
  if (draft.mode === "area") return n >= 3 && !ringCrosses(draftCoordinates());
  return true;
}

function hintForDraft() {
  const n = draft.markers.length;
  if (draft.mode === "point") hint(t(n ? "adjust" : "tap_point"));
  else if (draft.mode === "sightline") hint(t(n === 0 ? "tap_observer" : n === 1 ? "tap_target" : "adjust"));
  else if (draft.mode === "area" && n >= 3 && ringCrosses(draftCoordinates())) hint(t("crosses"));
  else hint(t(draft.mode === "line" ? "tap_line" : "tap_area"));
}

$("#shapes").addEventListener("click", (event) => {
  const button = event.target.closest("[data-shape]");
  if (button) setMode(button.dataset.shape);
});

$("#finish").addEventListener("click", () => {
  if (draft && shapeComplete()) openSheet();
});

function cancelDraft() {
  if (draft) draft.markers.forEach((m) => m.remove());
  moveBack();
  draft = null;
  correcting = null;
  $("#sheet-why").hidden = true;
  map.getSource("draft")?.setData(empty());
  document.querySelectorAll(".kind").forEach((b) => pressed(b, false, "active"));
  $("#sheet").hidden = true;
  $("#note").value = "";
  $("#photo").value = "";
  document.querySelectorAll(".scale button").forEach((b) => pressed(b, false));
  showShapes();
  hint(t(idleHint()));
}

// What the hint says with no finding being placed: nothing to choose when nothing can be sent.
function idleHint() {
  if (walkGone) return "walk_gone_short";
  if (offWalk) return "not_participant";
  return config.walk.open ? "choose_kind" : "walk_closed";
}

function addPin(lngLat) {
  // Larger than MapLibre's pin: dragged by a cold thumb.
  const marker = new maplibregl.Marker({ draggable: true, color: BASEMAP.pin, scale: 1.3 })
    .setLngLat(lngLat)
    .addTo(map);
  marker.on("drag", drawDraft);
  marker.on("dragend", () => {
    showShapes();
    hintForDraft();
  });
  draft.markers.push(marker);
  drawDraft();
}

function draftCoordinates() {
  return draft.markers.map((m) => m.getLngLat().toArray());
}

// The outline drawn so far: a dashed line, closed for an area.
function drawDraft() {
  if (!draft || draft.markers.length < 2) return;
  const coordinates = draftCoordinates();
  if (draft.mode === "area" && coordinates.length >= 3) coordinates.push(coordinates[0]);
  map.getSource("draft").setData({
    type: "Feature",
    geometry: { type: "LineString", coordinates },
    properties: {},
  });
}

// Whether an area's outline crosses itself (the server refuses such a polygon; saying so while
// the pins are still on the map lets the participant drag one instead of redoing the finding).
function ringCrosses(points) {
  const n = points.length;
  const edge = (i) => [points[i], points[(i + 1) % n]];
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a vertex
      if (segmentsCross(...edge(i), ...edge(j))) return true;
    }
  }
  return false;
}

function segmentsCross(a, b, c, d) {
  const side = (p, q, r) => Math.sign((q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0]));
  return side(a, b, c) * side(a, b, d) < 0 && side(c, d, a) * side(c, d, b) < 0;
}

map.on("click", (event) => {
  if (!draft) {
    showFinding(findingAt(event.point));
    return;
  }
  placeAt(event.lngLat, event.point);
});

// The map's centre, under the cross: where a keyboard (arrow keys move the map) or a steady
// finger places a pin.
$("#place").addEventListener("click", () => {
  if (draft) placeAt(map.getCenter(), map.project(map.getCenter()));
});

function placeAt(lngLat, point) {
  if (!$("#sheet").hidden || draft.markers.length >= pinsWanted()) return;
  if (draft.mode === "line" || draft.mode === "area") {
    addPin(lngLat);
    showShapes();
    hintForDraft();
    return;
  }
  if (draft.mode === "sightline" && draft.markers.length === 1) {
    // What cannot be seen lies away from where one stands: a second tap on the first pin
    // would make a line of no length, which the server refuses after the walk.
    const first = map.project(draft.markers[0].getLngLat());
    if (Math.hypot(first.x - point.x, first.y - point.y) < 12) {
      hint(t("tap_target"));
      return;
    }
  }
  addPin(lngLat);
  hintForDraft();
  if (draft.markers.length === pinsWanted()) openSheet();
  else showShapes();
}

function openSheet() {
  hint(t("adjust"));
  $("#sheet-title").textContent = kindLabel(draft.kind);
  // "How serious?" means nothing for a safe place or a meeting place.
  $('.scale[data-field="severity"]').closest(".field").hidden = draft.kind.positive;
  $("#sheet").hidden = false;
  showShapes();
  keepInView();
  $("#sheet-title").focus({ preventScroll: true });
}

// On a phone the sheet covers the lower half of the map: move the map so the drawn pins stay
// in sight between the hint and the sheet, where the participant can still check and drag
// them, and move it back once the finding is saved or cancelled. A sheet at the side (a
// tablet, a phone held sideways) leaves the pins beside it alone.
let movedFrom = null;

function keepInView() {
  const sheet = $("#sheet").getBoundingClientRect();
  const frame = map.getContainer().getBoundingClientRect();
  const pins = draft.markers.map((m) => map.project(m.getLngLat()));
  const covered = pins.some((p) => frame.top + p.y > sheet.top - 24 && frame.left + p.x > sheet.left - 24);
  if (!covered) return;
  const top = $("#hint").getBoundingClientRect().bottom + 24;
  const lowest = Math.max(...pins.map((p) => frame.top + p.y));
  const highest = Math.min(...pins.map((p) => frame.top + p.y));
  const shift = Math.min(lowest - (sheet.top - 32), highest - top); // up, but not under the hint
  if (shift <= 0) return;
  movedFrom = map.getCenter();
  map.panBy([0, shift], { duration: 300 });
}

function moveBack() {
  if (movedFrom) map.easeTo({ center: movedFrom, duration: 300 });
  movedFrom = null;
}

function draftGeometry() {
  const coords = draft.markers.map((m) => {
    const { lng, lat } = m.getLngLat();
    return [round(lng), round(lat)];
  });
  if (draft.mode === "point") return { type: "Point", coordinates: coords[0] };
  if (draft.mode === "area") return { type: "Polygon", coordinates: [[...coords, coords[0]]] };
  return { type: "LineString", coordinates: coords };
}

// How far the geometry's farthest vertex lies outside the area's boundary, in metres (0 inside,
// or when the area has no boundary). Metres from a local flat projection: good to a few metres
// over a neighbourhood, and the server, which measures exactly, has the last word.
function metresOutside(geometry) {
  const boundary = config.walk.boundary;
  if (!boundary) return 0;
  const polygons = boundary.type === "MultiPolygon" ? boundary.coordinates : [boundary.coordinates];
  const vertices =
    geometry.type === "Point" ? [geometry.coordinates] : geometry.coordinates.flat(geometry.type === "Polygon" ? 1 : 0);
  return Math.max(...vertices.map((vertex) => outsideBy(vertex, polygons)));
}

function outsideBy([lon, lat], polygons) {
  const kx = 111320 * Math.cos((lat * Math.PI) / 180);
  const ky = 110540;
  let inside = false;
  let nearest = Infinity;
  for (const rings of polygons) {
    let inThis = false;
    rings.forEach((ring, r) => {
      let crossing = false;
      for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
        const [xi, yi] = ring[i];
        const [xj, yj] = ring[j];
        if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) crossing = !crossing;
        nearest = Math.min(nearest, segmentDistance((lon - xi) * kx, (lat - yi) * ky, (xj - xi) * kx, (yj - yi) * ky));
      }
      if (crossing) inThis = r === 0; // inside a hole: outside this polygon
    });
    inside = inside || inThis;
  }
  return inside ? 0 : nearest;
}

// Distance from (px, py) to the segment from (0, 0) to (dx, dy).
function segmentDistance(px, py, dx, dy) {
  const length = dx * dx + dy * dy;
  const t = length ? Math.max(0, Math.min(1, (px * dx + py * dy) / length)) : 0;
  return Math.hypot(px - t * dx, py - t * dy);
}

function round(value) {
  return Math.round(value * 1e7) / 1e7;
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain-http deployments are not a secure context; build a v4 UUID by hand there.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

document.querySelectorAll(".scale").forEach((scale) => {
  scale.addEventListener("click", (event) => {
    const button = event.target.closest("button");
    if (!button || !draft) return;
    draft[scale.dataset.field] = Number(button.value);
    scale.querySelectorAll("button").forEach((b) => pressed(b, b === button));
  });
});

$("#cancel").addEventListener("click", () => {
  const kind = draft?.kind.code;
  cancelDraft();
  focusKind(kind);
});

// Back to where the participant was, not to the top of the page (the sheet is gone).
function focusKind(code) {
  const button = (code && $(`.kind[data-kind="${code}"]`)) || $(".kind");
  button?.focus({ preventScroll: true });
}

// Escape closes what is open: a finding's details, else the finding being drafted.
addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!$("#mine").hidden) $("#mine-close").click();
  else if (!$("#finding").hidden) closeFinding();
  else if (draft) $("#cancel").click();
});

// A cold or gloved thumb taps twice: the second tap must not save the finding again.
let saving = false;
$("#save").addEventListener("click", async () => {
  if (!draft || saving) return;
  saving = true;
  $("#save").disabled = true;
  try {
    await saveDraft();
  } finally {
    saving = false;
    $("#save").disabled = false;
  }
});

async function saveDraft() {
  if (!shapeComplete()) {
    hintForDraft(); // a pin dragged since: the area's outline now crosses itself
    return;
  }
  // Outside the area the server refuses it, which an offline tablet learns only later: say so
  // now, with the sheet kept, so the pin can be moved inside the dashed line.
  const outside = metresOutside(draftGeometry());
  if (outside > config.walk.tolerance_m) {
    flash("outside_area", 8000, Math.round(outside));
    return;
  }
  const observation = {
    client_id: correcting?.client_id ?? newClientId(),
    kind: draft.kind.code,
    geometry: draftGeometry(),
    severity: draft.severity,
    feeling: draft.feeling,
    note: $("#note").value.trim(),
    // A refused finding put right was still seen when it was captured, from where it was.
    captured_at: correcting?.captured_at ?? new Date().toISOString(),
    accuracy_m: correcting ? (correcting.accuracy_m ?? null) : gpsAccuracy(),
  };
  const photo = await fitPhoto($("#photo").files[0] || null);
  try {
    if (correcting) await queue.resend(queueKey, observation, photo, walkAbout);
    else await queue.add(queueKey, observation, photo, walkAbout);
  } catch (error) {
    // The tablet's storage is full (or the browser refused it): the sheet stays as it is, so
    // nothing typed is lost, and the participant is told rather than left with a dead Save.
    console.warn("could not store the finding", error);
    // Full storage, or the outbox closed under this page (a newer app opened in another tab).
    flash(error?.name === "QuotaExceededError" ? "not_stored" : "not_stored_reload", 10000);
    return;
  }
  cancelDraft();
  focusKind(observation.kind);
  flash("saved");
  await refresh();
  syncSoon(0);
}

function gpsAccuracy() {
  return gps ? Math.round(gps.accuracy * 10) / 10 : null;
}

// The server takes photos up to 15 MB; a camera's can be larger. Rather than refuse it after
// the walk, when the scene cannot be photographed again, the tablet shrinks it to 4,096 pixels
// across as a JPEG (the server keeps no more than that anyway).
const MAX_PHOTO_BYTES = 15 * 1024 * 1024;

async function fitPhoto(file) {
  if (!file || file.size <= MAX_PHOTO_BYTES) return file;
  try {
    const bitmap = await createImageBitmap(file); // upright, by its EXIF orientation
    const scale = Math.min(1, 4096 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    const name = `${file.name.replace(/\.[^.]*$/, "")}.jpg`;
    return blob ? new File([blob], name, { type: "image/jpeg" }) : file;
  } catch (error) {
    console.warn("photo kept as taken", error); // the server will say what is wrong with it
    return file;
  }
}

// ---------- sync ----------
// Findings the server has just taken, until the tablet's copy of the server's findings holds
// them (it reloads once the outbox is empty): a list opened in between missed them.
const justSent = new Map();
let syncing = false;
let failures = 0;
let timer = null;
// 401: the session ended (log in again); 403: no longer a participant of this walk. 0: none.
let authProblem = 0;
// A 403 from the sync: this participant is no longer on the walk (asked again on each sync, as
// they may be put back; the kinds stay greyed out until the page is reloaded).
let offWalk = false;
// 404 (or 409, the walk deleted while this sync ran): the walk is gone from the server. Its
// findings stay in the outbox, listed as not accepted, and are not sent again from this page:
// a retry cannot bring the walk back, and backing off for ever told the participant nothing.
let walkGone = 0;

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function syncSoon(seconds) {
  clearTimeout(timer);
  timer = setTimeout(sync, seconds * 1000);
}

function backoff() {
  failures += 1;
  const seconds = Math.min(MAX_BACKOFF_S, 2 ** Math.min(failures, 6)) + Math.random();
  $("#net").textContent = t("retry_in", Math.round(seconds));
  syncSoon(seconds);
}

async function post(url, body, headers = {}) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), ...headers },
    body,
  });
}

// One tab of the app syncs a participant's outbox at a time: two tabs open on the same walk
// both sent every photo (the server kept one, but the mobile data went twice). The other tab
// only refreshes what it shows from the outbox.
async function sync() {
  if (walkGone) return refresh();
  if (!navigator.locks) return syncNow();
  return navigator.locks.request(`trygg-sync-${queueKey}`, { ifAvailable: true }, (lock) =>
    lock ? syncNow() : refresh(),
  );
}

async function syncNow() {
  if (syncing || walkGone) return;
  if (!navigator.onLine) {
    showNet();
    return;
  }
  syncing = true;
  authProblem = 0; // asked again each time: the participant may have logged in meanwhile
  $("#net").textContent = t("syncing");
  try {
    // Bounded: each round either empties a batch from the outbox or stops with a backoff.
    for (let round = 0; round < 1000; round++) {
      const batch = await queue.pending(queueKey, BATCH);
      if (!batch.length) break;
      const sent = batch.map(({ walk, queued_at, sent, ...item }) => item);
      await queue.markSent(sent.map((item) => item.client_id));
      // sent_at: this tablet's clock now, so the server can set right the times of a tablet
      // whose clock is wrong (they would be refused as "in the future", or stored hours off).
      const payload = { observations: sent, sent_at: new Date().toISOString() };
      const response = await post(config.urls.sync, JSON.stringify(payload), {
        "Content-Type": "application/json",
      });
      if (response.status === 401 || response.status === 403) {
        authProblem = response.status;
        // Taken off the walk or out of its area: new findings could never be sent either.
        if (response.status === 403 && !offWalk) {
          offWalk = true;
          renderKinds();
          if (draft) cancelDraft();
          else hint(t(idleHint()));
          flash("not_participant", 12000);
        }
        break;
      }
      // 404: the walk is gone (a deletion racing this sync waits for it and then answers 404).
      // Anything else, a 409 included, is passing: the outbox is sent again after a pause.
      if (response.status === 404) {
        walkGone = response.status;
        renderKinds();
        if (draft) cancelDraft();
        else hint(t(idleHint()));
        break;
      }
      if (!response.ok) throw new Error(`sync answered ${response.status}`);
      const body = await response.json();
      if (body.walk_open === false) walkClosed();
      sent.forEach((item) => justSent.set(item.client_id, { ...item, mine: true }));
      await queue.settle(queueKey, sent, body.results);
      await refresh();
    }
    failures = 0;
    if (walkGone) {
      // Nothing of this walk goes out any more (photos and withdrawals would only meet 404s).
      flash("walk_gone", 12000, (await queue.counts(queueKey)).observations);
      showNet();
      return;
    }
    await uploadPhotos();
    await sendWithdrawals();
    showNet();
  } catch (error) {
    console.warn("sync failed, backing off", error);
    backoff();
  } finally {
    syncing = false;
    await refresh();
  }
}

// Withdrawals go after the findings and photos they may concern, so a finding whose sync was
// under way when its author withdrew it is on the server by then and goes.
async function sendWithdrawals() {
  for (const { client_id: clientId } of await queue.withdrawals(queueKey)) {
    const response = await fetch(config.urls.withdraw.replace("{client_id}", clientId), {
      method: "DELETE",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken() },
    });
    if (response.ok || response.status === 404) {
      // 404: it never reached the server, or an earlier attempt removed it.
      await queue.withdrawn(clientId);
    } else if (response.status === 409) {
      // The walk was closed meanwhile: the finding stays, and shows again.
      await queue.withdrawn(clientId);
      flash("withdraw_refused", 6000);
      walkClosed();
    } else if (response.status === 401 || response.status === 403) {
      authProblem = response.status;
      return;
    } else {
      throw new Error(`withdrawal answered ${response.status}`);
    }
  }
}

async function uploadPhotos() {
  for (const photo of await queue.photosReady(queueKey)) {
    const form = new FormData();
    form.append("image", photo.blob, photo.name);
    const response = await post(config.urls.photos.replace("{id}", String(photo.observation_id)), form);
    if (response.ok) {
      await queue.dropPhoto(photo.key);
    } else if ([400, 404, 409, 413].includes(response.status)) {
      // The server will never take this photo (not an image, too large, or its finding is
      // gone): keeping it would block the queue, dropping it silently would lose it unseen.
      await queue.refusePhoto(photo, await refusalReasons(response));
    } else if (response.status === 401 || response.status === 403) {
      // Signed out, or no longer on the walk: said in the bar, not retried without end (which
      // also held back the withdrawals queued after the photos).
      authProblem = response.status;
      return;
    } else {
      throw new Error(`photo upload answered ${response.status}`);
    }
  }
}

// The walk was marked done while this page was open: new findings would be refused, so the
// kinds grey out as on a page opened after the close.
function walkClosed() {
  if (!config.walk.open) return;
  config.walk.open = false;
  renderKinds();
  if (!draft) hint(t("walk_closed"));
}

// What the server said, in its words (it answers in the app's language), else in ours.
async function refusalReasons(response) {
  let reasons = [];
  try {
    const body = await response.json();
    reasons = Object.values(body).flat().filter((v) => typeof v === "string");
  } catch {
    // not JSON: a proxy's or the web server's own page
  }
  return reasons.length ? reasons : [t(response.status === 404 ? "photo_gone" : "photo_refused")];
}

addEventListener("online", () => {
  // A walk gone from the server stays gone: no request for it when the connection returns.
  if (walkGone) return;
  failures = 0;
  authProblem = 0;
  showNet();
  syncSoon(0);
});
addEventListener("offline", showNet);

function showNet() {
  const net = $("#net");
  net.classList.toggle("offline", !navigator.onLine);
  if (authProblem === 401) {
    // The installed app has no address bar: the way to the login page is here.
    const login = document.createElement("a");
    login.href = config.urls.login;
    login.textContent = t("log_in_again");
    net.replaceChildren(login);
    return;
  }
  if (walkGone) {
    net.textContent = t("walk_gone_short");
    return;
  }
  net.textContent =
    authProblem === 403 ? t("not_participant") : navigator.onLine ? t("online") : t("offline");
}

// ---------- what the participant sees ----------
let rejectedShown = 0;

async function refresh() {
  const counts = await queue.counts(queueKey);
  const waiting = counts.observations + counts.withdrawals;
  const counter = $("#sync-count");
  counter.dataset.count = String(waiting);
  counter.dataset.photos = String(counts.photos);
  // "All synced" only once the photos are up too: a participant who sees it closes the app.
  let status = t("all_synced");
  if (walkGone && counts.observations) status = t("kept_on_tablet", counts.observations);
  else if (waiting) status = t("waiting", waiting);
  else if (counts.photos) status = t("photos_only", counts.photos);
  if (counter.textContent !== status) counter.textContent = status; // announced once, not per refresh
  counter.classList.toggle("pending", waiting + counts.photos > 0);
  $("#photo-count").textContent = waiting && counts.photos ? t("photos_waiting", counts.photos) : "";
  const others = await queue.othersWaiting(`${walkId}:`, queueKey);
  $("#others-waiting").textContent = others ? t("others_waiting", others) : "";

  const pending = await queue.pending(queueKey);
  map.getSource("queued")?.setData({
    type: "FeatureCollection",
    features: pending.map(({ geometry, walk, queued_at, sent, ...o }) => ({
      type: "Feature",
      geometry,
      properties: {
        ...o,
        positive: kindsByCode[o.kind]?.positive || false,
        mine: true,
        queued: true,
      },
    })),
  });
  if (!pending.length) map.getSource("stored")?.setData(`${config.urls.observations}?t=${Date.now()}`);
  // Withdrawn findings the server may still have: hidden from the tablet's map at once.
  const hidden = (await queue.withdrawals(queueKey)).map((w) => w.client_id);
  if (map.getLayer("stored-points")) {
    for (const shape of Object.keys(SHAPES)) {
      map.setFilter(`stored-${shape}`, shapeFilter(shape, hidden));
    }
  }

  const rejected = await queue.rejected(queueKey);
  if (rejected.length > rejectedShown) flash("needs_attention", 6000, rejected.length); // read aloud
  rejectedShown = rejected.length;
  // A walk gone from the server: its findings still in the outbox are not accepted either, but
  // stay on the tablet (no Dismiss: the coordinator may still want them).
  renderRefused($("#rejected"), {
    rejected,
    stranded: walkGone ? pending : [],
    say: t,
    describe: (item, timed) => {
      const what = kindLabel(kindsByCode[item.kind] || { code: item.kind });
      if (!timed) return what;
      return `${new Date(item.captured_at).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" })} · ${what}`;
    },
    onDismiss: async (item) => {
      if (correcting?.client_id === item.client_id) cancelDraft();
      await queue.dismissRejected(item.client_id);
      await refresh();
      focusKind(null);
    },
    onFix: fixRefused,
  });
}

// ---------- a finding already saved: what it says, and withdrawing one's own ----------
let shown = null; // the properties of the finding the sheet shows

function findingAt(point) {
  const reach = 16; // pixels around the tap: a thumb, not a mouse pointer
  const box = [
    [point.x - reach, point.y - reach],
    [point.x + reach, point.y + reach],
  ];
  const layers = FINDING_LAYERS.filter((id) => map.getLayer(id));
  return map.queryRenderedFeatures(box, { layers })[0]?.properties || null;
}

function showFinding(finding) {
  closeFinding();
  if (!finding) return;
  shown = finding;
  const kind = kindsByCode[finding.kind] || { code: finding.kind };
  $("#finding-title").textContent = kindLabel(kind);
  const time = new Date(finding.captured_at).toLocaleTimeString(language, {
    hour: "2-digit",
    minute: "2-digit",
  });
  const facts = [time];
  if (finding.mine === true) facts.push(t("yours"));
  if (finding.queued) facts.push(t("not_synced"));
  const details = [facts.join(" · ")];
  if (finding.severity) details.push(`${t("severity_is")} ${t("of_five", finding.severity)}`);
  if (finding.feeling) details.push(`${t("feeling_is")} ${t("of_five", finding.feeling)}`);
  if (finding.note) details.push(finding.note);
  $("#finding-details").replaceChildren(
    ...details.map((text) => Object.assign(document.createElement("p"), { textContent: text })),
    photoStrip(finding),
  );
  $("#withdraw").hidden = !(finding.mine === true && config.walk.open);
  $("#finding").hidden = false;
  $("#finding-title").focus({ preventScroll: true });
}

// The stored finding's photos, as thumbnails: the participant sees that theirs arrived. The map
// hands nested properties over as JSON text. Offline, a thumbnail not seen before cannot load,
// and goes rather than show as broken.
function photoStrip(finding) {
  const strip = document.createElement("div");
  strip.className = "finding-photos";
  let photos = [];
  try {
    photos = typeof finding.photos === "string" ? JSON.parse(finding.photos) : finding.photos || [];
  } catch (error) {
    photos = [];
  }
  for (const photo of photos) {
    const image = Object.assign(document.createElement("img"), {
      src: photo.thumbnail_url,
      alt: t("photo"),
    });
    image.addEventListener("error", () => image.remove());
    strip.append(image);
  }
  return strip;
}

function closeFinding() {
  shown = null;
  $("#finding").hidden = true;
  $("#finding").classList.remove("confirming");
}

$("#finding-close").addEventListener("click", () => {
  closeFinding();
  focusKind(null);
});
$("#withdraw").addEventListener("click", () => {
  $("#finding").classList.add("confirming");
  $("#withdraw-keep").focus();
});
$("#withdraw-keep").addEventListener("click", () => {
  $("#finding").classList.remove("confirming");
  $("#withdraw").focus();
});
$("#withdraw-confirm").addEventListener("click", async () => {
  if (!shown) return;
  await queue.withdraw(queueKey, shown.client_id);
  justSent.delete(shown.client_id);
  closeFinding();
  focusKind(null);
  flash("withdrawn");
  await refresh();
  syncSoon(0);
});

// ---------- the participant's own findings, as a list ----------
async function myFindings() {
  const stored = await map.getSource("stored").getData();
  const withdrawn = new Set((await queue.withdrawals(queueKey)).map((w) => w.client_id));
  const queued = (await queue.pending(queueKey)).map(({ geometry, walk, queued_at, sent, ...o }) => ({
    ...o,
    mine: true,
    queued: true,
  }));
  const synced = (stored.features || [])
    .map((f) => f.properties)
    .filter((o) => o.mine === true && !withdrawn.has(o.client_id));
  synced.forEach((o) => justSent.delete(o.client_id));
  const refused = new Set((await queue.rejected(queueKey)).map((r) => r.client_id));
  const arrived = [...justSent.values()].filter((o) => !refused.has(o.client_id) && !withdrawn.has(o.client_id));
  const byId = new Map();
  for (const o of [...synced, ...arrived, ...queued]) if (!byId.has(o.client_id)) byId.set(o.client_id, o);
  return [...byId.values()].sort((a, b) => a.captured_at.localeCompare(b.captured_at));
}

async function openMine() {
  closeFinding();
  const findings = await myFindings();
  const items = findings.map((finding) => {
    const time = new Date(finding.captured_at).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
    const open = Object.assign(document.createElement("button"), {
      type: "button",
      textContent: `${time} · ${kindLabel(kindsByCode[finding.kind] || { code: finding.kind })}`,
    });
    open.addEventListener("click", () => {
      closeMine();
      showFinding(finding);
    });
    const item = document.createElement("li");
    item.append(open);
    return item;
  });
  if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: t("no_findings") }));
  $("#mine-list").replaceChildren(...items);
  $("#mine").hidden = false;
  $("#mine-button").setAttribute("aria-expanded", "true");
  $("#mine-title").focus({ preventScroll: true });
}

function closeMine() {
  $("#mine").hidden = true;
  $("#mine-button").setAttribute("aria-expanded", "false");
}

$("#mine-button").addEventListener("click", () => ($("#mine").hidden ? openMine() : closeMine()));
$("#mine-close").addEventListener("click", () => {
  closeMine();
  $("#mine-button").focus();
});

function kindLabel(kind) {
  return (kind.labels && (kind.labels[language] || kind.labels.en)) || kind.code;
}

function hint(text) {
  $("#hint").textContent = text;
}

let flashTimer = null;
// Words that ask something of the participant, shown as a warning rather than as a success.
const WARNINGS = new Set([
  "not_participant",
  "needs_attention",
  "outside_area",
  "no_gps",
  "withdraw_refused",
  "not_stored",
  "not_stored_reload",
  "walk_gone",
]);

function flash(word, ms = 2500, count = undefined) {
  const toast = $("#toast");
  flashWord = [word, count];
  toast.textContent = t(word, count);
  toast.classList.toggle("warn", WARNINGS.has(word));
  toast.hidden = false;
  clearTimeout(flashTimer);
  flashTimer = setTimeout(() => (toast.hidden = true), ms);
}

function renderKinds() {
  const bar = $("#kinds");
  bar.replaceChildren();
  for (const kind of config.kinds) {
    const button = document.createElement("button");
    button.className = `kind ${kind.positive ? "positive" : "negative"}`;
    button.dataset.kind = kind.code;
    button.textContent = kindLabel(kind);
    button.setAttribute("aria-pressed", "false");
    if (geometryMode(kind) === "sightline") button.classList.add("line");
    button.addEventListener("click", () => startDraft(kind.code));
    // A walk marked done takes no new findings (the server refuses them); what was captured
    // during it still goes out.
    // Nor does a walk gone from the server.
    button.disabled = !config.walk.open || Boolean(walkGone) || offWalk;
    bar.append(button);
  }
}

function applyLanguage() {
  t = translator(language);
  document.documentElement.lang = language;
  // The server words its rejection reasons in the language of this cookie.
  document.cookie = `django_language=${language}; path=/; SameSite=Lax`;
  document.querySelectorAll("[data-t]").forEach((el) => (el.textContent = t(el.dataset.t)));
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => {
    el.placeholder = t(el.dataset.tPlaceholder);
  });
  if (flashWord && !$("#toast").hidden) $("#toast").textContent = t(...flashWord);
  renderKinds();
  if (draft) {
    const active = $(`.kind[data-kind="${draft.kind.code}"]`);
    if (active) pressed(active, true, "active");
    $("#sheet-title").textContent = kindLabel(draft.kind);
  } else hint(t(config.walk.open ? "choose_kind" : "walk_closed"));
  if (shown) showFinding(shown);
  showNet();
  rewordControls(map.getContainer(), language);
}

const select = $("#language");
for (const [code, name] of Object.entries(LANGUAGES)) select.add(new Option(name, code));
select.value = language;
select.addEventListener("change", async () => {
  language = select.value;
  localStorage.setItem("trygg-language", language);
  applyLanguage();
  await refresh();
});

// ---------- start ----------
// The bar's height (it wraps on a phone) for what the stylesheet places below it.
const bar = document.querySelector(".bar");
const barHeight = () => document.documentElement.style.setProperty("--bar", `${bar.offsetHeight}px`);
new ResizeObserver(barHeight).observe(bar);
barHeight();
// The hint's height (one line on a tablet, three on a phone) for the list placed below it.
const hintBox = $("#hint");
new ResizeObserver(() =>
  document.documentElement.style.setProperty("--hint", `${hintBox.offsetHeight}px`),
).observe(hintBox);
applyLanguage();
map.on("load", async () => {
  showGps();
  await refresh();
  document.body.dataset.ready = "true";
});
await refresh();
syncSoon(0);
// A slow heartbeat catches a connection that came back without an "online" event.
// It also retries after a 401: the participant may have logged in again in another tab.
setInterval(() => {
  const { count, photos } = $("#sync-count").dataset;
  if (!syncing && navigator.onLine && Number(count) + Number(photos) > 0) sync();
}, 30000);

// Ask the browser not to clear this site's storage when the tablet runs short of space: the
// outbox holds findings that exist nowhere else until they are synced.
navigator.storage?.persist?.().catch(() => {});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker
    .register(config.urls.service_worker, { scope: "/walks/" })
    .then(() => navigator.serviceWorker.ready)
    // This very page load happened before the worker could see it: store the page and the
    // area's data now, so reopening the app without a connection works from the first visit.
    .then(() => navigator.onLine && caches.open("trygg-data"))
    .then((cache) => cache && cache.addAll([location.pathname, config.urls.blocks, config.urls.observations]))
    .then(() => (document.body.dataset.offlineReady = "true"))
    .catch((e) => console.warn("offline copy not prepared", e));
}
