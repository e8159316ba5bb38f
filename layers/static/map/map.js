// The planner map: the area's MapLibre style from /tiles/, a layer list with legends, filters
// that re-address the tiles, and details for a clicked block or observation.

const script = document.querySelector("script[data-maplibre]");
const config = JSON.parse(document.getElementById("map-config").textContent);
const maplibre = await import(script.dataset.maplibre);
const { mapWords } = await import(script.dataset.words);
const { dictionary } = await import(script.dataset.i18n);
const { MOST_WALKS, walkFilter, walkIds, walkLabel } = await import(script.dataset.walkFilter);
const { areaDay, shortDate, shortDateTime } = await import(script.dataset.dates);

const words = dictionary[config.language] || dictionary.en;
const t = (key, vars = {}) =>
  String(words[key] ?? dictionary.en[key] ?? key).replace(/\{(\w+)\}/g, (_, name) => vars[name]);

// Which filters each tile layer takes (as the server reads them, tiles/catalogue.py).
const LAYER_FILTERS = {
  blocks: [],
  crime: ["from", "to", "category"],
  observations: ["from", "to", "kind", "light", "follow_up", "walk"],
  walks: ["from", "to", "light", "walk"],
  lamps: [],
};
const BLOCK_FILTERS = ["from", "to", "kind", "light", "follow_up", "walk"];
const CLASSES = ["fear_exceeds_crime", "both_high", "both_low", "crime_exceeds_fear"];
const state = { from: "", to: "", category: "", kind: "", light: "", follow_up: "", walk: "" };
// The filters come in with the page's address (a walk report's "Show on the map", a shared
// link) and go back into it as they change, so a filtered map can be shared or bookmarked.
const asked = new URLSearchParams(location.search);
const walkById = Object.fromEntries((config.walks || []).map((w) => [String(w.id), w]));
// What the panel can show; anything else in an edited address is dropped, not sent to the tiles.
const CHOICES = {
  category: config.categories.map((c) => c.code),
  kind: config.kinds.map((k) => k.code),
  light: ["day", "night"],
  follow_up: config.followUps.map(([value]) => value),
};
for (const name of Object.keys(state).filter((name) => name !== "walk")) {
  const value = asked.get(name) || "";
  const fits = CHOICES[name] ? CHOICES[name].includes(value) : /^\d{4}-\d{2}-\d{2}$/.test(value);
  state[name] = fits ? value : "";
}
// A bookmarked or shared address may name walks deleted since (or, for a participant, not
// theirs): the tiles would refuse them (400) and leave their layers blank. They are dropped, from
// the address too, and the panel says so, rather than showing every walk as if it were those;
// the others named stay. Walks deleted while the map is open go the same way (walkGoneMeanwhile).
// An address edited to name more walks than the tiles take keeps the first of them, and so does
// the address; the walk filter's status says how many were named (until the walks change).
let filterNote = null; // the note over the filters, if any: the key of its words in i18n.js, and their values
const named = walkIds(asked.get("walk"));
const offered = named.filter((id) => Object.hasOwn(walkById, id));
let walksNamed = offered.length > MOST_WALKS ? offered.length : 0; // more than the map takes
if (offered.length < named.length) {
  const note = named.length === 1 ? "walkDropped" : offered.length ? "walksDroppedSome" : "walksDropped";
  keepWalks(offered.slice(0, MOST_WALKS), note, { n: named.length - offered.length, m: named.length });
} else if (walksNamed) keepWalks(offered.slice(0, MOST_WALKS));
else state.walk = offered.join(",");

function keepWalks(ids, note = null, vars = {}) {
  state.walk = ids.join(",");
  if (note) filterNote = { key: note, vars };
  history.replaceState(null, "", `${location.pathname}${query(Object.keys(state))}`);
}
const visible = Object.fromEntries(config.layers.map((name) => [name, name !== "lamps"]));
config.rasters.forEach((name) => (visible[`raster-${name}`] = false));
// The Gi* hot spots are drawn from the blocks' tiles of those who see their figures.
const hotspots = config.hotspots;
if (hotspots) visible.hotspots = false;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === "class") node.className = value;
    else if (key === "style") node.style.cssText = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (value !== undefined && value !== null && value !== false) node.setAttribute(key, value);
  }
  for (const child of children.flat(Infinity)) {
    if (child !== null && child !== undefined && child !== false) {
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
  }
  return node;
}

function query(names) {
  const params = new URLSearchParams();
  names.forEach((name) => state[name] && params.set(name, state[name]));
  const text = params.toString().replaceAll("%2C", ","); // walk=12,14, as the tiles document it
  return text ? `?${text}` : "";
}

// The extent of the walks' routes (or of their findings), to show the walks when they are chosen.
function walkBounds(ids) {
  const extents = ids.map((id) => walkById[id]?.extent).filter(Boolean);
  if (!extents.length) return null;
  const side = (i, pick) => pick(...extents.map((extent) => extent[i]));
  return [[side(0, Math.min), side(1, Math.min)], [side(2, Math.max), side(3, Math.max)]];
}
const areaBounds = [config.bounds.slice(0, 2), config.bounds.slice(2)];

const tileUrl = (layer) =>
  `${location.origin}/tiles/${config.slug}/${layer}/{z}/{x}/{y}.mvt${query(LAYER_FILTERS[layer])}`;

// ---------------------------------------------------------------- map

const map = new maplibre.Map({
  container: "map",
  style: `/tiles/${config.slug}/style.json`,
  bounds: walkBounds(walkIds(state.walk)) || areaBounds,
  fitBoundsOptions: { padding: state.walk ? 60 : 24, maxZoom: 17 },
  attributionControl: false,
  locale: mapWords(config.language),
  maxZoom: 20,
});
map.addControl(new maplibre.NavigationControl({ showCompass: false }), "top-right");
map.addControl(new maplibre.ScaleControl({ unit: "metric" }), "bottom-right");
window.trygMap = map; // for the browser tests and the curious

function styleLayerIds(name) {
  const prefix = name.startsWith("raster-") ? name : `${name}-`;
  return map.getStyle().layers.map((l) => l.id).filter((id) => id === name || id.startsWith(prefix));
}

// isStyleLoaded() is false while any source is still fetching tiles, so it cannot guard a
// toggle: a layer switched during loading would keep its old visibility. Layout properties can
// be set as soon as the style is parsed.
let styleParsed = false;

function applyVisibility() {
  if (!styleParsed) return; // the style.load handler applies the current choice
  for (const [name, on] of Object.entries(visible)) {
    for (const id of styleLayerIds(name)) {
      map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    }
  }
}

function applyFilters() {
  refusalSeen = false;
  if (filterNote?.key === "tilesRefused") dropNotice(); // said of the filters before
  for (const name of config.layers) {
    if (map.getSource(name) && LAYER_FILTERS[name].length) readdress(name);
  }
  history.replaceState(null, "", `${location.pathname}${query(Object.keys(state))}`);
  renderExports();
  popup.remove();
  markFiltered();
}

// The filtered sources with a tile that failed since they were last addressed (map.on("error")).
const failedSources = new Set();

function readdress(name) {
  if (!failedSources.delete(name)) return map.getSource(name).setTiles([tileUrl(name)]);
  // MapLibre (6.17) asks a re-addressed source for a tile that failed as one still loading, and
  // waits for a load that never comes: the tile stays blank. Such a source is added anew.
  const { sources, layers } = map.getStyle();
  const own = layers.map((layer, i) => [layer, layers[i + 1]?.id]).filter(([layer]) => layer.source === name);
  own.forEach(([layer]) => map.removeLayer(layer.id));
  map.removeSource(name);
  map.addSource(name, { ...sources[name], tiles: [tileUrl(name)] });
  own.reverse().forEach(([layer, before]) => map.addLayer(layer, before)); // each under the next
}

// On a narrow screen the panel is closed: its button says when filters narrow the map (the
// start page's "to follow up" link opens it filtered).
function markFiltered() {
  const on = Object.values(state).some(Boolean);
  toggle.classList.toggle("filtered", on);
  toggle.setAttribute("aria-label", on ? `${t("showPanel")} (${t("filtersOn")})` : t("showPanel"));
}

// Layers are switched as soon as the style is parsed, before any tile has arrived.
// The analysis rasters come with the style (tiles/styles.py), hidden.
map.once("style.load", () => {
  styleParsed = true;
  applyVisibility();
  // Filters that came with the address re-address the style's tiles before any is fetched.
  if (Object.values(state).some(Boolean)) applyFilters();
  document.body.dataset.mapReady = "1";
});
map.once("load", () => (document.body.dataset.mapLoaded = "1"));

// A walk the map is filtered to may be deleted while the map is open (by a coordinator in
// another tab): its layers' tiles are refused then (400), as a deleted walk's address would be.
// The first refusal since the filters last changed asks whether the walks chosen are still
// there; gone ones are dropped as at load, the others kept, and the layers load again. Any other
// refusal is said once, not retried: the tiles would refuse the same filters again.
let refusalSeen = false;

map.on("error", ({ error, sourceId, tile }) => {
  const filters = LAYER_FILTERS[sourceId];
  if (!tile || !filters?.length || !error.url) return console.error(error); // as MapLibre would
  failedSources.add(sourceId);
  // A tile asked for before the filters last changed, failed while its source was re-addressed:
  // MapLibre would not ask for it again (readdress), so the source is re-addressed once more.
  if (new URL(error.url).search !== query(filters)) {
    return setTimeout(() => failedSources.has(sourceId) && readdress(sourceId));
  }
  if (error.status !== 400) return console.error(error);
  if (refusalSeen) return;
  refusalSeen = true;
  walkGoneMeanwhile();
});

async function walkGoneMeanwhile() {
  const chosen = state.walk;
  const ids = walkIds(chosen);
  const looks = await Promise.all(ids.map(walkIsGone));
  if (chosen !== state.walk) return; // the filter changed meanwhile
  const gone = ids.filter((_id, i) => looks[i]);
  if (!gone.length) {
    filterNote = { key: "tilesRefused" };
    return renderFilters();
  }
  const names = gone.map((id) => walkLabel(walkById[id])).join("; ");
  config.walks = config.walks.filter((w) => !gone.includes(String(w.id))); // not offered any more
  gone.forEach((id) => delete walkById[id]);
  const left = ids.filter((id) => !gone.includes(id));
  keepWalks(left, left.length ? "walkDeletedSome" : ids.length > 1 ? "walksDeleted" : "walkDeleted", { names });
  renderFilters();
  applyFilters();
}

// Whether the walks API has no walk `id` any more (a walk not the user's is a 403, not gone).
async function walkIsGone(id) {
  try {
    const response = await fetch(`/api/walks/${id}/`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.status === 404;
  } catch {
    return false; // offline: not known to be gone
  }
}

// ---------------------------------------------------------------- layer list and legends

function swatch(colour, kind = "dot") {
  return el("span", { class: `swatch ${kind}`, style: `--c: ${colour}` });
}

// A kind's symbol, as the map draws it (the style's sprite, tiles/sprite.py): its shape tells
// the kinds apart where their colours alone do not.
document.documentElement.style.setProperty("--sprite", `url("${config.sprite.sheet}")`);
document.documentElement.style.setProperty("--sprite-count", config.sprite.count);

function kindSymbol(code) {
  const kind = config.kinds.find((k) => k.code === code) || config.kinds.find((k) => k.code === "other");
  return kind ? el("span", { class: "swatch symbol", style: `--i: ${kind.symbol}` }) : swatch("#737373");
}

function bivariateLegend() {
  const cells = CLASSES.map((c) =>
    el("span", { class: "cell", style: `background: ${config.classColours[c]}`, title: t(c) }),
  );
  return el(
    "div",
    { class: "bivariate", role: "img", "aria-label": CLASSES.map((c) => t(c)).join(", ") },
    el("div", { class: "grid-wrap" },
      el("span", { class: "axis-y" }, t("fearAxis")),
      el("div", { class: "grid" }, cells),
      el("span", { class: "axis-x" }, `${t("crimeAxis")} →`)),
    el("ul", { class: "classes" },
      ["both_high", "fear_exceeds_crime", "crime_exceeds_fear", "both_low"].map((c) =>
        el("li", {}, swatch(config.classColours[c], "square"), t(c)))),
    el("p", { class: "note run" }, runSummary()),
  );
}

// Which analysis colours the blocks: the one an analyst chose, else the latest finished one,
// whoever ran it for whatever period.
function runSummary() {
  const run = config.run;
  if (!run) return t("noFigures");
  const period = runPeriod() || t("allMonths");
  const byCode = Object.fromEntries(config.categories.map((c) => [c.code, c]));
  const kinds = run.categories.length
    ? run.categories.map((code) => (byCode[code] ? byCode[code].label : code)).join(", ")
    : t("allCategories");
  const chosen = run.pinned ? ` ${t("runChosen")}` : "";
  return `${t("runSummary", { id: run.id, finished: run.finished || "…", period, kinds })} ${t(run.fdr ? "fdrApplied" : "fdrNotApplied")}${chosen}`;
}

// The months the analysis counted ("2025-06" for one), or "" for all of them.
function runPeriod() {
  const run = config.run;
  if (!run || !(run.from || run.to)) return "";
  return run.from === run.to ? run.from : `${run.from || "…"} – ${run.to || "…"}`;
}

function legendFor(name) {
  if (name === "blocks") {
    return config.view === "walks" ? null : bivariateLegend();
  }
  if (name === "crime") {
    return el("div", {},
      // Radii as the style draws them at zoom 15 (tiles/styles.py).
      el("div", { class: "sizes" }, [5, 25, 100].map((n) =>
        el("span", { class: "size" }, el("span", { class: "circle", style: `--r: ${Math.min(20, 1.12 * Math.sqrt(n))}px` }), n))),
      el("p", { class: "note" }, t("incidentsPerBlock")),
      el("p", { class: "note" }, config.view === "exact"
        ? t("pointsNote", { z: config.crimePointsMinzoom })
        : t("suppressedNote", { k: config.minCount })));
  }
  if (name === "observations") {
    // Last, a problem's symbol faded as the style draws one followed up as fixed or needing no
    // action (tiles/styles.py SETTLED_OPACITY): what still waits stands out.
    const problem = config.kinds.find((k) => !k.positive);
    return el("ul", { class: "kinds" },
      config.kinds.map((k) => el("li", {}, kindSymbol(k.code), k.label)),
      problem ? el("li", { class: "settled" }, kindSymbol(problem.code), t("settledNote")) : null);
  }
  if (name === "walks") {
    return el("ul", { class: "inline" },
      el("li", {}, swatch("#e08a00", "line"), t("day")),
      el("li", {}, swatch("#1f2a6b", "line"), t("night")),
      el("li", {}, swatch("#737373", "line dashed"), t("walkPlanned")));
  }
  if (name === "hotspots") {
    return el("div", {},
      el("ul", {},
        el("li", {}, swatch(config.hotspotColours.crime, "line"), t("hotspotCrime")),
        el("li", {}, swatch(config.hotspotColours.insecurity, "line dashed"), t("hotspotInsecurity"))),
      el("p", { class: "note" }, t("hotspotNote")));
  }
  if (name === "lamps") {
    return el("ul", { class: "inline" }, Object.entries(config.lampColours).map(([status, colour]) =>
      el("li", {}, swatch(colour), t(status))));
  }
  if (name === "raster-perception_gap") {
    // Diverging, as tiles/raster.py colours it: red where crime exceeds fear, blue where fear
    // exceeds crime, clear where they agree.
    return el("div", {},
      el("span", { class: "bar diverging wide" }),
      el("div", { class: "ramp-ends" }, el("span", {}, t("gapCrime")), el("span", {}, t("gapFear"))));
  }
  // The values the colours run between (the tiles' own range), with their unit.
  const range = config.rasterRanges?.[name.slice(7)];
  const ends = range ? range.map((v) => number(v, v < 10 ? 1 : 0)) : [t("low"), t("high")];
  return el("div", {},
    el("div", { class: "ramp" }, el("span", {}, ends[0]), el("span", { class: "bar" }), el("span", {}, ends[1])),
    range ? el("p", { class: "note" }, t(`unit_${name.slice(7)}`)) : null);
}

function renderLayerList() {
  const names = [...config.layers, ...(hotspots ? ["hotspots"] : []), ...config.rasters.map((r) => `raster-${r}`)];
  const items = names.map((name) => {
    const label = name.startsWith("raster-")
      ? t(`raster_${name.slice(7)}`)
      : name === "blocks" && config.view === "walks" ? t("blocksOutline") : t(name);
    const box = el("input", {
      type: "checkbox",
      id: `toggle-${name}`,
      "data-layer": name,
      checked: visible[name],
      onchange: (event) => {
        visible[name] = event.target.checked;
        item.classList.toggle("off", !visible[name]);
        applyVisibility();
        renderExports();
      },
    });
    const item = el("li", { class: visible[name] ? "" : "off" },
      el("label", { class: "toggle", for: `toggle-${name}` }, box, el("span", {}, label)),
      el("div", { class: "legend" }, legendFor(name)));
    return item;
  });
  document.getElementById("layer-list").replaceChildren(el("h2", {}, t("layers")), el("ul", { class: "layers" }, items));
}

// ---------------------------------------------------------------- filters and export

function renderFilters() {
  const field = (name, control) => el("label", { class: "field" }, el("span", {}, t(name)), control);
  const set = (name) => (event) => {
    state[name] = event.target.value;
    applyFilters();
  };
  const select = (name, options) =>
    el("select", { name, onchange: set(name) },
      el("option", { value: "" }, t("all")),
      options.map(([value, label]) => el("option", { value, selected: state[name] === value }, label)));
  const controls = [
    el("div", { class: "period" },
      field("from", el("input", { type: "date", name: "from", value: state.from, onchange: set("from") })),
      field("to", el("input", { type: "date", name: "to", value: state.to, onchange: set("to") }))),
  ];
  if (config.layers.includes("crime")) {
    controls.push(field("category", select("category", config.categories.map((c) => [c.code, c.label]))));
  }
  if (config.layers.includes("observations")) {
    controls.push(field("kind", select("kind", config.kinds.map((k) => [k.code, k.label]))));
    controls.push(field("light", select("light", [["day", t("day")], ["night", t("night")]])));
    controls.push(field("follow_up", select("follow_up", config.followUps)));
  }
  if (config.walks?.length) {
    controls.push(walkFilter({ walks: config.walks, chosen: walkIds(state.walk), named: walksNamed, el, t, onchange: chooseWalks }));
  }
  controls.push(el("button", {
    type: "button",
    class: "link",
    onclick: () => {
      Object.keys(state).forEach((k) => (state[k] = ""));
      filterNote = null;
      walksNamed = 0;
      renderFilters();
      applyFilters();
    },
  }, t("reset")));
  const notice = !filterNote ? null : filterNote.key === "tilesRefused"
    ? el("p", { class: "error", id: "tiles-refused", role: "alert" }, t(filterNote.key))
    : el("p", { class: "note", id: "walk-dropped", role: "status" }, t(filterNote.key, filterNote.vars));
  // Without a notice, none (replaceChildren would write a missing one as "null").
  document.getElementById("filters").replaceChildren(...[el("h2", {}, t("filters")), notice, ...controls].filter(Boolean));
}

function dropNotice() {
  filterNote = null;
  document.querySelector("#walk-dropped, #tiles-refused")?.remove();
}

// The walks chosen (walk-filter.js): the map shows them, fitted to them all, or the whole area
// again when the last is removed.
function chooseWalks(ids) {
  state.walk = ids.join(",");
  walksNamed = 0;
  dropNotice(); // walks chosen anew: the dropped ones are past
  applyFilters();
  map.fitBounds(walkBounds(ids) || areaBounds, { padding: ids.length ? 60 : 24, maxZoom: 17 });
}

// The export behind a map layer: crime is exported as points to analysts only; everyone else
// gets the same per-block counts the map draws.
function exportLayer(name) {
  return name === "crime" && config.view !== "exact" ? "crime_blocks" : name;
}

const EXTRA_FORMATS = [["gpkg", "GeoPackage"], ["csv", "CSV"], ["dxf", "DXF"]];

function renderExports() {
  const box = document.getElementById("exports");
  if (!config.canExport) return box.replaceChildren();
  const shown = config.layers.filter((name) => visible[name]);
  // Each layer in the formats its users open: GeoJSON for the web, GeoPackage for QGIS, CSV
  // for a spreadsheet, DXF for CAD.
  const href = (name, format) =>
    `/api/areas/${config.slug}/export/${exportLayer(name)}.${format}${query(LAYER_FILTERS[name])}`;
  const links = shown.map((name) =>
    el("li", {}, `${t(name)}: `,
      el("a", { class: "export", "data-layer": name, href: href(name, "geojson"), download: "" }, "GeoJSON"),
      EXTRA_FORMATS.map(([format, label]) => [" · ", el("a", { "data-format": format, href: href(name, format), download: "" }, label)])));
  box.replaceChildren(el("h2", {}, t("export")), links.length ? el("ul", {}, links) : el("p", { class: "note" }, t("exportNone")));
}

// ---------------------------------------------------------------- details

// The details take the focus when they open (a keyboard or screen reader lands in them), and
// Escape closes them, back to the map.
const popup = new maplibre.Popup({ maxWidth: "360px", className: "details", focusAfterOpen: true });
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && popup.isOpen()) {
    popup.remove();
    map.getCanvas().focus();
  }
});

async function fetchJson(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

function binText(bin) {
  if (bin === null || bin === undefined) return "–";
  const confidence = { 1: 90, 2: 95, 3: 99 }[Math.abs(bin)];
  if (!confidence) return t("notSignificant");
  return t(bin > 0 ? "hot" : "cold", { c: confidence });
}

const number = (value, digits = 2) =>
  value === null || value === undefined ? "–" : Number(value).toLocaleString(config.language, { maximumFractionDigits: digits });

function figureRows(block) {
  const f = block.figures;
  if (!f) return [el("p", { class: "note" }, block.run ? t("noBlockFigures") : t("noFigures"))];
  const row = (label, value) => el("tr", {}, el("th", {}, label), el("td", {}, value));
  const klass = f.comparison_class;
  return [el("table", { class: "figures" },
    row(t("comparison"), klass ? el("span", {}, swatch(config.classColours[klass], "square"), t(klass)) : t("noClassInRun")),
    // The analysis's count, of its months only: the crime layer's circles follow the filters.
    row(runPeriod() ? t("crimeCountIn", { period: runPeriod() }) : t("crimeCount"), f.suppressed ? t("fewerThan", { k: config.minCount }) : number(f.crime_count, 0)),
    // The measure analysed: a count repeats the row above; a density or rate says per what.
    config.run?.variable === "density" ? row(t("crimeDensity"), f.suppressed ? "–" : number(f.crime_value)) : null,
    config.run?.variable === "rate" ? row(t("crimeRate"), f.suppressed ? "–" : number(f.crime_value)) : null,
    row(t("crimeHotspot"), binText(f.crime_gi_bin)),
    row(t("insecurityIndex"), number(f.insecurity_index)),
    row(t("insecurityHotspot"), binText(f.insecurity_gi_bin)),
    block.population ? row(t("population"), number(block.population, 0)) : null)];
}

function thumbnails(photos) {
  return photos.length
    ? el("div", { class: "thumbs" }, photos.map((p) =>
        el("a", { href: p.image, target: "_blank", rel: "noopener", title: t("photoOpens") },
          el("img", { src: p.thumbnail, alt: t("photo"), loading: "lazy" }))))
    : null;
}

function feelingText(o) {
  return o.feeling ? `${o.feeling} – ${words.feelings?.[o.feeling] ?? ""}` : "–";
}

function observationItem(o, block, lngLat) {
  return el("li", { class: "observation" },
    el("button", { type: "button", class: "link", onclick: () => showObservation(o.id, lngLat, block) },
      kindSymbol(o.kind), o.kind_label),
    el("span", { class: "meta" }, `${t("severity")} ${o.severity ?? "–"} · ${t("feeling")} ${feelingText(o)}`),
    thumbnails(o.photos));
}

function showContent(lngLat, ...children) {
  popup.setLngLat(lngLat).setDOMContent(el("div", { class: "details-body" }, children)).addTo(map);
}

async function showBlock(id, lngLat) {
  showContent(lngLat, el("p", { class: "note" }, t("loading")));
  let block;
  try {
    block = await fetchJson(`/map/${config.slug}/blocks/${id}.json${query(BLOCK_FILTERS)}`);
  } catch {
    return showContent(lngLat, el("p", { class: "error" }, t("failed")));
  }
  const parts = [el("h3", {}, `${t("block")} ${block.code}`, block.name ? ` · ${block.name}` : "")];
  if ("figures" in block) parts.push(...figureRows(block));
  if (block.observations) {
    parts.push(el("h4", {}, t("observationsHere"), ` (${block.observations.length})`));
    parts.push(block.observations.length
      ? el("ul", { class: "observations" }, block.observations.map((o) => observationItem(o, block, lngLat)))
      : el("p", { class: "note" }, t("noObservations")));
  }
  showContent(lngLat, parts);
}

async function showObservation(id, lngLat, block = null) {
  let o;
  try {
    o = await fetchJson(`/map/${config.slug}/observations/${id}.json`);
  } catch {
    return showContent(lngLat, el("p", { class: "error" }, t("failed")));
  }
  const row = (label, value) => el("tr", {}, el("th", {}, label), el("td", {}, value));
  showContent(lngLat,
    el("h3", {}, kindSymbol(o.kind), o.kind_label),
    el("table", { class: "figures" },
      row(t("severity"), o.severity ?? "–"),
      row(t("feeling"), feelingText(o)),
      row(t("captured"), shortDateTime(o.captured_at, config)),
      row(t("walk"), o.walk_report
        ? el("a", { href: o.walk_report }, `${o.walk} (${t(o.light)})`)
        : `${o.walk} (${t(o.light)})`),
      o.note ? row(t("note"), o.note) : null,
      row(t("followUp"), [o.follow_up, o.follow_up_at && shortDate(areaDay(o.follow_up_at, config), config), o.follow_up_note].filter(Boolean).join(" · "))),
    thumbnails(o.photos),
    block ? el("button", { type: "button", class: "link back", onclick: () => showBlock(block.id, lngLat) }, `← ${t("back")}`) : null);
}

const OBSERVATION_LAYERS = ["observations-points", "observations-lines", "observations-areas"];

function clickable() {
  return [...OBSERVATION_LAYERS, "blocks-class"].filter((id) => map.getLayer(id) && visibleLayer(id));
}

function visibleLayer(id) {
  return map.getLayoutProperty(id, "visibility") !== "none";
}

map.on("click", (event) => showDetailsAt(event.point, event.lngLat));
// Without a pointer: the arrow keys move the map, Enter opens what lies at its centre.
map.getCanvas().addEventListener("keydown", (event) => {
  if (event.key !== "Enter") return;
  const centre = map.getCenter();
  showDetailsAt(map.project(centre), centre);
});

function showDetailsAt(point, lngLat) {
  const { x, y } = point;
  const hits = map.queryRenderedFeatures([[x - 5, y - 5], [x + 5, y + 5]], { layers: clickable() });
  const observation = hits.find((f) => f.source === "observations");
  if (observation) return showObservation(observation.id, lngLat);
  const block = hits.find((f) => f.source === "blocks");
  if (block) return showBlock(block.id, lngLat);
  popup.remove();
}
map.on("mousemove", (event) => {
  const layers = clickable();
  const hit = layers.length && map.queryRenderedFeatures(event.point, { layers }).length;
  map.getCanvas().style.cursor = hit ? "pointer" : "";
});

// ---------------------------------------------------------------- panel on small screens

const toggle = document.getElementById("panel-toggle");
markFiltered();
// On a narrow screen the closed panel is only moved out of sight: `inert` keeps the keyboard
// and screen readers out of it too.
const narrow = matchMedia("(max-width: 900px)");
const panelReachable = () => {
  document.getElementById("panel").inert = narrow.matches && !document.body.classList.contains("panel-open");
};
narrow.addEventListener("change", panelReachable);
panelReachable();
toggle.addEventListener("click", () => {
  const open = document.body.classList.toggle("panel-open");
  toggle.setAttribute("aria-expanded", String(open));
  toggle.textContent = open ? "✕" : "☰";
  panelReachable();
  setTimeout(() => map.resize(), 50);
});

renderLayerList();
renderFilters();
renderExports();

// Print and Download PNG (print.js): the view as it is, with its title, legends and scale bar.
const { addPrinting } = await import(script.dataset.print);
addPrinting({ map, config, t, el });
