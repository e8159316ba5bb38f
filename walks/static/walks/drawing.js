// Drawing a finding on the map pin by pin: the ways a kind is drawn, the pins, the shape buttons
// and Done, the hint that guides each tap, and the checks made while the pins can still be moved
// (an area's outline crossing itself, a finding outside the area). The sheet (sheet.js) takes
// over once the shape is complete.
import { $, pressed } from "./dom.js";
import { fitTo, placePin, showOutline } from "./capture-map.js";

// mode: "point" (one tap), "sightline" (where you stand, then what you cannot see), "line" or
// "area" (a tap per vertex, then Done). A kind drawn in more than one way starts as a point,
// the quickest, and offers the others.
const SHAPES_OF = { Point: "point", LineString: "line", Polygon: "area" };
const MAX_VERTICES = 50;
const CROSS_SIZE = 44; // the cross's box (capture.css)
const CROSS_CLEARANCE = 12; // between the cross and the drawing tools below it

function modesOf(kind) {
  const modes = kind.geometry_types.map((type) => SHAPES_OF[type]).filter(Boolean);
  return modes.length === 1 && modes[0] === "line" ? ["sightline"] : modes;
}

// How a kind is drawn first.
export function geometryMode(kind) {
  return modesOf(kind)[0];
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

// How far the geometry's farthest vertex lies outside the area's boundary, in metres (0 inside,
// or when the area has no boundary). Metres from a local flat projection: good to a few metres
// over a neighbourhood, and the server, which measures exactly, has the last word.
function metresOutside(geometry, boundary) {
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

// The finding being drawn on `map`. `hint(text)` guides the participant; `openSheet()` is
// called once the shape is complete (the last pin of a point or sightline, Done for a line or
// area). `pinColour`: the basemap's, for pins that stand out on it.
export function drawingPins(app, map, { pinColour, hint, openSheet }) {
  let draft = null; // {kind, mode, markers: [], severity, feeling}
  const sheetOpen = () => !$("#sheet").hidden;

  function start(kind) {
    draft = { kind, mode: geometryMode(kind), markers: [], severity: null, feeling: null };
    showShapes();
    hintForDraft();
  }

  // Drops the finding being drawn and its pins, and moves the map back if the sheet moved it.
  function clear() {
    if (draft) draft.markers.forEach((m) => m.remove());
    moveBack();
    draft = null;
    showOutline(map);
  }

  function setMode(mode) {
    if (!draft || draft.mode === mode) return;
    draft.markers.forEach((m) => m.remove());
    draft.markers = [];
    draft.mode = mode;
    showOutline(map);
    $("#sheet").hidden = true;
    showShapes();
    hintForDraft();
  }

  // The shape buttons of a kind drawn in several ways, and Done while drawing a line or area.
  function showShapes() {
    const bar = $("#shapes");
    const modes = draft ? modesOf(draft.kind) : [];
    // Not while the sheet is open: on a phone the bar would cover its Save button.
    bar.hidden = modes.length < 2 || sheetOpen();
    bar.querySelectorAll("[data-shape]").forEach((button) => {
      button.hidden = !modes.includes(button.dataset.shape);
      pressed(button, draft?.mode === button.dataset.shape);
    });
    const drawingOutline = draft && (draft.mode === "line" || draft.mode === "area");
    $("#finish").hidden = !drawingOutline || sheetOpen();
    $("#finish").disabled = !drawingOutline || !shapeComplete();
    const placing = Boolean(draft) && !sheetOpen() && draft.markers.length < pinsWanted();
    $("#place").hidden = !placing;
    $("#crosshair").hidden = !placing;
    aimCross();
  }

  // Where the cross stands, in the map's pixels: the map's centre, or as far above it as the
  // drawing tools need, so that they never hide the spot it marks (a phone held sideways leaves
  // the map a strip, and the tools came over its middle).
  function crossPoint() {
    const frame = map.getContainer().getBoundingClientRect();
    const tools = $(".draw-tools").getBoundingClientRect();
    const room = tools.height ? tools.top - frame.top - CROSS_CLEARANCE - CROSS_SIZE / 2 : Infinity;
    return { x: frame.width / 2, y: Math.max(CROSS_SIZE / 2, Math.min(frame.height / 2, room)) };
  }

  function aimCross() {
    const cross = $("#crosshair");
    if (!cross.hidden) cross.style.top = `${crossPoint().y}px`;
  }
  // The tools' rows and the map's height change with the language and the screen's turning.
  const resized = new ResizeObserver(aimCross);
  resized.observe(map.getContainer());
  resized.observe($(".draw-tools"));

  function pinsWanted() {
    if (draft.mode === "point") return 1;
    if (draft.mode === "sightline") return 2;
    return MAX_VERTICES;
  }

  function shapeComplete() {
    const n = draft.markers.length;
    if (draft.mode === "line") return n >= 2;
    if (draft.mode === "area") return n >= 3 && !ringCrosses(coordinates());
    return true;
  }

  function hintForDraft() {
    const t = app.t;
    const n = draft.markers.length;
    if (draft.mode === "point") hint(t(n ? adjustWord() : "tap_point"));
    else if (draft.mode === "sightline") hint(t(n === 0 ? "tap_observer" : n === 1 ? "tap_target" : adjustWord()));
    else if (draft.mode === "area" && n >= 3 && ringCrosses(coordinates())) hint(t("crosses"));
    else hint(t(draft.mode === "line" ? "tap_line" : "tap_area"));
  }

  // What the hint says once the finding's shape is complete: a point has one pin to drag, the
  // others several.
  function adjustWord() {
    return draft.mode === "point" ? "adjust_point" : "adjust";
  }

  function addPin(lngLat) {
    const marker = placePin(map, lngLat, pinColour);
    marker.on("drag", drawOutline);
    marker.on("dragend", () => {
      showShapes();
      hintForDraft();
    });
    draft.markers.push(marker);
    drawOutline();
  }

  function coordinates() {
    return draft.markers.map((m) => m.getLngLat().toArray());
  }

  // The outline drawn so far: a dashed line, closed for an area.
  function drawOutline() {
    if (!draft || draft.markers.length < 2) return;
    const outline = coordinates();
    if (draft.mode === "area" && outline.length >= 3) outline.push(outline[0]);
    showOutline(map, outline);
  }

  function placeAt(lngLat, point) {
    if (sheetOpen() || draft.markers.length >= pinsWanted()) return;
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
        hint(app.t("tap_target"));
        return;
      }
    }
    addPin(lngLat);
    hintForDraft();
    if (draft.markers.length === pinsWanted()) openSheet();
    else showShapes();
  }

  // A refused finding's pins back where it was put, and the map on them. False when the kind
  // now chosen for it is drawn in another way: it is drawn afresh, as the hint says.
  function redraw(geometry) {
    const mode = drawnAs(geometry, draft.kind);
    if (!mode) return false;
    setMode(mode);
    const vertices = verticesOf(geometry);
    vertices.forEach((vertex) => addPin(vertex));
    fitTo(map, vertices, { padding: 120, maxZoom: 17, duration: 0 });
    return true;
  }

  function geometry() {
    const coords = draft.markers.map((m) => {
      const { lng, lat } = m.getLngLat();
      return [round(lng), round(lat)];
    });
    if (draft.mode === "point") return { type: "Point", coordinates: coords[0] };
    if (draft.mode === "area") return { type: "Polygon", coordinates: [[...coords, coords[0]]] };
    return { type: "LineString", coordinates: coords };
  }

  // The sheet covers part of the map: the lower part on a phone, the right-hand side on a
  // tablet or a phone held sideways. Once it opens, the finding just drawn is fitted into the
  // part of the map it leaves free (below the hint, beside or above the sheet), where the
  // participant can still see and drag its pins, at no closer a zoom than theirs; the map moves
  // back once the finding is saved or cancelled. A finding already in that part stays put.
  const MARGIN = 16; // pixels between the pins and the hint or the sheet's edge
  let movedFrom = null; // {center, zoom} before the sheet moved the map

  // The free part of the map, as MapLibre's padding (pixels in from each edge of the map).
  function freePadding() {
    const frame = map.getContainer().getBoundingClientRect();
    const sheet = $("#sheet").getBoundingClientRect();
    const hint = $("#hint").getBoundingClientRect();
    const padding = { top: MARGIN, bottom: MARGIN, left: MARGIN, right: MARGIN };
    // A pin stands above its spot: its head clear of the hint too.
    const pin = draft.markers[0]?.getElement().getBoundingClientRect().height ?? 0;
    if (hint.height) padding.top = Math.max(MARGIN, hint.bottom - frame.top + MARGIN) + pin;
    // The larger of the two parts the sheet leaves: the band above it (a phone), or the side
    // beside it (a tablet, a phone held sideways).
    const above = (sheet.top - frame.top) * frame.width;
    const beside = (sheet.left - frame.left) * frame.height;
    if (above >= beside) padding.bottom = Math.max(MARGIN, frame.bottom - sheet.top + MARGIN);
    else padding.right = Math.max(MARGIN, frame.right - sheet.left + MARGIN);
    return { frame, padding };
  }

  function keepInView() {
    const { frame, padding } = freePadding();
    // Too little room left to show anything in (a very small window): the map stays.
    if (frame.height - padding.top - padding.bottom < 2 * MARGIN) return;
    if (frame.width - padding.left - padding.right < 2 * MARGIN) return;
    const vertices = draft.markers.map((m) => m.getLngLat().toArray());
    const inView = vertices.every((vertex) => {
      const p = map.project(vertex);
      return (
        p.y >= padding.top && p.y <= frame.height - padding.bottom && p.x >= padding.left && p.x <= frame.width - padding.right
      );
    });
    if (inView) return;
    movedFrom = { center: map.getCenter(), zoom: map.getZoom() };
    // Fitted with padding rather than panned: one pin or an area's many, it stands wholly in
    // the free part, smaller if it must be (its pins are never zoomed in on).
    fitTo(map, vertices, { padding, maxZoom: map.getZoom(), duration: 300 });
  }

  function moveBack() {
    if (movedFrom) map.easeTo({ ...movedFrom, duration: 300 });
    movedFrom = null;
  }

  $("#shapes").addEventListener("click", (event) => {
    const button = event.target.closest("[data-shape]");
    if (button) setMode(button.dataset.shape);
  });

  $("#finish").addEventListener("click", () => {
    if (draft && shapeComplete()) openSheet();
  });

  // Under the cross: where a keyboard (arrow keys move the map) or a steady finger places a pin.
  $("#place").addEventListener("click", () => {
    const { x, y } = crossPoint();
    if (draft) placeAt(map.unproject([x, y]), { x, y });
  });

  return {
    current: () => draft,
    start,
    clear,
    placeAt,
    redraw,
    showShapes,
    hintForDraft,
    adjustWord,
    shapeComplete,
    keepInView,
    geometry,
    // Outside the area the server refuses it, which an offline tablet learns only later.
    metresOutside: () => metresOutside(geometry(), app.config.walk.boundary),
  };
}
