// The capture app's map: the area's own blocks as its basemap (no outside tiles), the walk's
// route and boundary, the findings stored on the server and those still in the outbox, the
// outline of a finding being drawn, and the tablet's GPS position.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
import { $ } from "./dom.js";
import { mapWords } from "/static/js/map-words.js";

// Each source's findings are drawn by three layers, one per kind of geometry.
const SHAPES = { areas: "Polygon", lines: "LineString", points: "Point" };
const FINDING_LAYERS = ["points", "lines", "areas"].flatMap((shape) => [`queued-${shape}`, `stored-${shape}`]);

// A night walk gets a dark basemap: a bright screen in the dark dazzles the participant and
// draws eyes to them. The findings keep their colours.
const DAY = {
  background: "#e9eef0",
  blocks: "#fdfcf7",
  edges: "#9aa7ad",
  route: "#2c6fbb",
  ink: "#111",
  pin: "#111",
};
const NIGHT = {
  background: "#0b141b",
  blocks: "#1c2a35",
  edges: "#40525f",
  route: "#6fb3ff",
  ink: "#eef2f4",
  pin: "#f5b041",
};

export function empty() {
  return { type: "FeatureCollection", features: [] };
}

// `hidden`: the client_ids of findings withdrawn on this tablet that the server may still hold.
function shapeFilter(shape, hidden = []) {
  const filter = ["==", ["geometry-type"], SHAPES[shape]];
  if (!hidden.length) return filter;
  return ["all", filter, ["!", ["in", ["get", "client_id"], ["literal", hidden]]]];
}

// MapLibre starts its worker from a URL; a worker's own script request does not reliably reach
// the service worker when the tablet is offline. Loading the source through fetch (which the
// service worker answers from its cache) and handing MapLibre a blob URL works either way.
async function startWorkerFrom(url) {
  try {
    const response = await fetch(url);
    const source = new Blob([await response.text()], { type: "text/javascript" });
    maplibregl.setWorkerUrl(URL.createObjectURL(source));
  } catch (error) {
    console.warn("map worker kept at its default URL", error);
  }
}

// The map of `walk` (the page's config.walk) with the data at `urls`; `colours.pin` is for the
// pins a finding is drawn with.
export async function createMap(walk, urls, language) {
  await startWorkerFrom(urls.map_worker);
  const colours = walk.light === "night" ? NIGHT : DAY;
  document.body.classList.toggle("night", walk.light === "night");
  const [xmin, ymin, xmax, ymax] = walk.extent;
  const route = walk.route ? { type: "Feature", geometry: walk.route, properties: {} } : empty();
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
        blocks: { type: "geojson", data: urls.blocks },
        route: { type: "geojson", data: route },
        boundary: { type: "geojson", data: walk.boundary || empty() },
        stored: { type: "geojson", data: urls.observations },
        queued: { type: "geojson", data: empty() },
        draft: { type: "geojson", data: empty() },
        gps: { type: "geojson", data: empty() },
      },
      layers: [
        { id: "background", type: "background", paint: { "background-color": colours.background } },
        { id: "blocks", type: "fill", source: "blocks", paint: { "fill-color": colours.blocks } },
        {
          id: "block-edges",
          type: "line",
          source: "blocks",
          paint: { "line-color": colours.edges, "line-width": 1.5 },
        },
        {
          // The area's edge: findings beyond it (and its tolerance) are not accepted.
          id: "boundary",
          type: "line",
          source: "boundary",
          paint: { "line-color": colours.pin, "line-width": 2.5, "line-dasharray": [4, 2] },
        },
        {
          id: "route",
          type: "line",
          source: "route",
          paint: { "line-color": colours.route, "line-width": 4, "line-dasharray": [2, 1.5] },
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
        ...observationLayers("stored", "#c0392b", "#1e8449", 1, colours.ink),
        ...observationLayers("queued", "#e67e22", "#e67e22", 0.9, "#fff"),
        {
          id: "draft-line",
          type: "line",
          source: "draft",
          paint: { "line-color": colours.ink, "line-width": 4, "line-dasharray": [1, 1] },
        },
      ],
    },
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  return { map, colours };
}

function observationLayers(source, negative, positive, opacity, stroke) {
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
        "circle-stroke-color": stroke,
        "circle-stroke-width": 2,
      },
    },
  ];
}

// The outbox on the map: `queued`, its findings (each with its own properties, `positive` from
// its kind); `hidden`, the client_ids of findings withdrawn here that the server may still have,
// hidden from the tablet's map at once. With nothing queued, the server's copy is read again:
// what was just sent is in it now.
export function showOutbox(map, { queued, hidden, storedUrl }) {
  map.getSource("queued")?.setData({
    type: "FeatureCollection",
    features: queued.map(({ geometry, ...properties }) => ({ type: "Feature", geometry, properties })),
  });
  if (!queued.length) map.getSource("stored")?.setData(`${storedUrl}?t=${Date.now()}`);
  if (map.getLayer("stored-points")) {
    for (const shape of Object.keys(SHAPES)) map.setFilter(`stored-${shape}`, shapeFilter(shape, hidden));
  }
}

// The findings under a tap, the topmost first: each one's properties, with `shape` (its
// geometry's type). One finding drawn across tiles comes back in pieces: it is listed once.
export function findingsAt(map, point) {
  const reach = 16; // pixels around the tap: a thumb, not a mouse pointer
  const box = [
    [point.x - reach, point.y - reach],
    [point.x + reach, point.y + reach],
  ];
  const layers = FINDING_LAYERS.filter((id) => map.getLayer(id));
  const found = new Map();
  for (const feature of map.queryRenderedFeatures(box, { layers })) {
    const id = feature.properties.client_id ?? feature.id;
    if (!found.has(id)) found.set(id, { ...feature.properties, shape: feature.geometry.type });
  }
  return [...found.values()];
}

// The outline of a finding being drawn (a dashed line), or none.
export function showOutline(map, coordinates = null) {
  const data = coordinates ? { type: "Feature", geometry: { type: "LineString", coordinates }, properties: {} } : empty();
  map.getSource("draft")?.setData(data);
}

// A pin of a finding being drawn, dragged to adjust it.
export function placePin(map, lngLat, colour) {
  // Larger than MapLibre's pin: dragged by a cold thumb.
  return new maplibregl.Marker({ draggable: true, color: colour, scale: 1.3 }).setLngLat(lngLat).addTo(map);
}

export function fitTo(map, vertices, options) {
  const bounds = vertices.reduce((b, v) => b.extend(v), new maplibregl.LngLatBounds(vertices[0], vertices[0]));
  map.fitBounds(bounds, options);
}

// ---------- the tablet's position ----------
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

// Follows the GPS and draws it with its accuracy; My position centres the map on it, or calls
// `noPosition` before there is one. `show()` draws it again (once the map's style has loaded);
// `accuracy()` is what a new finding records, in metres (null without a position).
export function followPosition(map, noPosition) {
  let gps = null; // {lon, lat, accuracy}

  function show() {
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
        show();
      },
      () => {},
      { enableHighAccuracy: true, maximumAge: 5000 },
    );
  }

  $("#locate").addEventListener("click", () => {
    if (gps) map.easeTo({ center: [gps.lon, gps.lat], zoom: Math.max(map.getZoom(), 17) });
    else noPosition();
  });

  return { show, accuracy: () => (gps ? Math.round(gps.accuracy * 10) / 10 : null) };
}
