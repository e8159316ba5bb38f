// Planning page: list an area's walks, draw a route on the area's blocks, set time, light and
// participants, save through the walks API, and mark a walk done afterwards.
import * as maplibregl from "/static/vendor/maplibre/maplibre-gl.mjs";
import { mapWords } from "/static/js/map-words.js";
import { getPosition } from "/static/vendor/suncalc/index.js";

const config = JSON.parse(document.getElementById("plan-config").textContent);
const words = JSON.parse(document.getElementById("plan-words").textContent);
const $ = (selector) => document.querySelector(selector);
let walks = [];
let current = null; // the walk being edited, or null for a new one
let route = [];

const [xmin, ymin, xmax, ymax] = config.area.extent;
const PAPER = "#fdfcf7"; // a block with no class, or all of them when the classes are off
const map = new maplibregl.Map({
  container: "map",
  bounds: [
    [xmin, ymin],
    [xmax, ymax],
  ],
  fitBoundsOptions: { padding: 30 },
  attributionControl: false,
  locale: mapWords(document.documentElement.lang),
  style: {
    version: 8,
    sources: {
      blocks: { type: "vector", url: location.origin + config.urls.blocks },
      routes: { type: "vector", url: location.origin + config.urls.routes },
      route: { type: "geojson", data: { type: "FeatureCollection", features: [] } },
    },
    layers: [
      { id: "bg", type: "background", paint: { "background-color": "#e9eef0" } },
      {
        id: "blocks",
        type: "fill",
        source: "blocks",
        "source-layer": "blocks",
        paint: { "fill-color": blockColours(true) },
      },
      {
        id: "edges",
        type: "line",
        source: "blocks",
        "source-layer": "blocks",
        // Hair-thin at area zoom, where thousands of edges would grey the map out.
        paint: { "line-color": "#9aa7ad", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.3, 16, 1] },
      },
      {
        id: "other-routes",
        type: "line",
        source: "routes",
        "source-layer": "walks",
        filter: ["!=", ["id"], -1], // all but the walk being edited, which plan.js draws
        paint: { "line-color": "#51606a", "line-width": 2.5, "line-opacity": 0.7, "line-dasharray": [2, 1.5] },
      },
      {
        id: "route",
        type: "line",
        source: "route",
        filter: ["==", ["geometry-type"], "LineString"],
        paint: { "line-color": "#2c6fbb", "line-width": 4 },
      },
      {
        id: "route-points",
        type: "circle",
        source: "route",
        filter: ["==", ["geometry-type"], "Point"],
        paint: { "circle-radius": 5, "circle-color": "#2c6fbb", "circle-stroke-color": "#fff", "circle-stroke-width": 2 },
      },
    ],
  },
});
map.addControl(new maplibregl.NavigationControl(), "top-right");
$("#plan-classes")?.addEventListener("change", (event) => {
  map.setPaintProperty("blocks", "fill-color", blockColours(event.target.checked));
});
$("#plan-routes").addEventListener("change", (event) => {
  map.setLayoutProperty("other-routes", "visibility", event.target.checked ? "visible" : "none");
});

// The other walks' routes: the walk being edited is left to drawRoute.
function showOtherRoutes() {
  const apply = () => map.setFilter("other-routes", ["!=", ["id"], current ? current.id : -1]);
  if (map.getLayer("other-routes")) apply();
  else map.once("load", apply);
}

// After a save, a deletion or someone else's change: the routes as they now are (the source
// is loaded afresh, and its tiles' ETags, which follow the walks' data version, answer anew).
function routesChanged() {
  map.getSource("routes")?.setUrl(location.origin + config.urls.routes);
}

// The blocks by the class of the analysis the map shows (its colours, paler, so the route
// stands out), or plain paper to draw on.
function blockColours(byClass) {
  const colours = Object.entries(config.classes);
  if (!byClass || !colours.length) return PAPER;
  return ["match", ["coalesce", ["get", "class"], ""], ...colours.flatMap(([code, colour]) => [code, paler(colour)]), PAPER];
}

function paler(hex) {
  const mix = (i) => Math.round(parseInt(hex.slice(i, i + 2), 16) * 0.55 + 255 * 0.45);
  return `rgb(${mix(1)}, ${mix(3)}, ${mix(5)})`;
}
// For the browser tests and for debugging.
window.tryggPlan = { map };
map.on("click", (event) => addPoint(event.lngLat));
$("#add-centre").addEventListener("click", () => addPoint(map.getCenter()));

function addPoint({ lng, lat }) {
  route.push([round(lng), round(lat)]);
  drawRoute();
}

function round(v) {
  return Math.round(v * 1e7) / 1e7;
}

function drawRoute() {
  const features = route.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: c }, properties: {} }));
  if (route.length > 1) features.push({ type: "Feature", geometry: { type: "LineString", coordinates: route }, properties: {} });
  map.getSource("route")?.setData({ type: "FeatureCollection", features });
  $("#route-points").textContent = String(route.length);
}

function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

async function api(url, method = "GET", body, headers = {}) {
  const response = await fetch(url, {
    method,
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken(), ...headers },
    body: body ? JSON.stringify(body) : undefined,
  });
  // An answer that is not JSON (a server error page) still says something.
  const data = await response.json().catch(() => ({ detail: `${response.status} ${response.statusText}` }));
  return { ok: response.ok, status: response.status, data };
}

// A change of the walk being edited names the version this page read (its ETag): a walk someone
// else changed meanwhile is left as it is (412) instead of getting this page's older copy back.
function changeWalk(method, body) {
  return api(config.urls.walk.replace("{id}", current.id), method, body, { "If-Match": current.etag });
}

// A change refused, or someone else's change met (412): the form and the route drawn stay as
// they are, and the planner may load the walk as it now is.
async function refused({ status, data }) {
  say(status === 412 ? await conflictText(data) : errorsText(data), false);
  $("#reload").hidden = status !== 412;
}

// What a 412 met. The first finding of a planned walk marks it under way, a change of the walk
// (so that this page cannot put "planned" back), though nobody else touched its planning: said
// as it is, not as someone else's change, when the walk differs from this page's copy only there.
async function conflictText(data) {
  const now = await api(config.urls.walk.replace("{id}", current.id));
  const started = now.ok && current.status === "planned" && now.data.status === "walking";
  return started && planning(now.data) === planning(current) ? words.findings_arrived : errorsText(data);
}

// A walk without what its findings change (their count, its status) and its version.
function planning(walk) {
  const { status, observation_count, etag, ...rest } = walk;
  return JSON.stringify(rest);
}

function say(text, good) {
  const message = $("#message");
  message.textContent = text;
  message.className = `message ${good ? "good" : "bad"}`;
  $("#reload").hidden = true;
}

// Times are the area's wall-clock times, whatever the planner's computer is set to: the API
// writes them with the area's offset (2025-09-05T23:00:00+02:00) and reads a time without one
// in the area's time zone, as the walk report prints it.
// ---------------------------------------------------------------- day or night, from the sun

// A new walk's light follows its time until the planner chooses one: night when the sun is
// below the horizon halfway through the walk (its start, without an end), at the area's centre.
// Night was the fixed default, and a walk planned for noon kept it unless someone noticed.
const SUNSET_ALTITUDE = (-0.833 * Math.PI) / 180; // the sun's upper edge on the horizon
let lightChosen = false; // by the planner, or copied by Plan again: kept whatever the time

// The instant a date and time on the area's clock name (the form's fields are on it).
function areaInstant(date, time) {
  const asUtc = new Date(`${date}T${time}:00Z`);
  const named = Object.fromEntries(
    new Intl.DateTimeFormat("en-GB", {
      timeZone: config.timeZone, hourCycle: "h23",
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
    }).formatToParts(asUtc).map(({ type, value }) => [type, value]),
  );
  const shown = Date.UTC(named.year, named.month - 1, named.day, named.hour, named.minute);
  return new Date(asUtc.getTime() - (shown - asUtc.getTime())); // less the zone's offset
}

function lightOfTime() {
  const [date, start, end] = [$("#date").value, $("#start").value, $("#end").value];
  if (current || lightChosen || !date || !start) return;
  const from = areaInstant(date, start);
  const until = end ? areaInstant(end < start ? nextDay(date) : date, end) : from;
  const middle = new Date((from.getTime() + until.getTime()) / 2);
  const { altitude } = getPosition(middle, (ymin + ymax) / 2, (xmin + xmax) / 2);
  $("#light").value = altitude < SUNSET_ALTITUDE ? "night" : "day";
}
for (const field of ["#date", "#start", "#end"]) $(field).addEventListener("input", lightOfTime);
$("#light").addEventListener("change", () => (lightChosen = true));

function localParts(iso) {
  return [iso.slice(0, 10), iso.slice(11, 16)];
}

function nextDay(date) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().slice(0, 10);
}

// An area walked twice a week has hundreds of walks: the list shows the latest a page at a
// time (More walks) and finds the others by name.
const WALKS_PAGE = 25;
let listing = 0; // the latest listing asked for: an older answer arriving late is dropped
let paged = 0; // how far the pages asked for reach (their offset), repeats included

async function loadWalks({ more = false } = {}) {
  const asked = ++listing;
  const offset = more ? paged : 0;
  const params = new URLSearchParams({ limit: WALKS_PAGE, offset });
  const text = $("#walk-search").value.trim();
  if (text) params.set("q", text);
  const { data } = await api(`${config.urls.walks}?${params}`);
  if (asked !== listing) return;
  const list = $("#walk-list");
  if (!more) {
    walks = [];
    list.replaceChildren();
  }
  // Pages go by offset, latest first: a walk planned since the last page moves the others down
  // by one, and the next page would repeat the last walk listed. Each walk is listed once.
  // The pages still go on from where this one ends, not from the walks listed: there would be
  // one page more than the count, of repeats only.
  const listed = new Set(walks.map((walk) => walk.id));
  const results = Array.isArray(data?.results) ? data.results : [];
  const page = results.filter((w) => !listed.has(w.id));
  walks.push(...page);
  paged = offset + results.length;
  $("#more-walks").hidden = paged >= (data?.count ?? 0);
  for (const walk of page) {
    const item = document.createElement("li");
    item.dataset.id = walk.id;
    const [date, time] = localParts(walk.starts_at);
    const people = walk.participant_count === 1 ? words.participant : words.participants;
    const findings = walk.observation_count === 1 ? words.observation : words.observations;
    // A button, so a keyboard reaches every walk (a list item only takes a pointer's click):
    // the walk's name on a line of its own, what it is under it (pages.css marks it as one to
    // open).
    const open = document.createElement("button");
    open.type = "button";
    const name = document.createElement("span");
    name.className = "walk-name";
    name.textContent = walk.name;
    // Read as one line by a screen reader: the separator the two lines do not show.
    const separator = document.createElement("span");
    separator.className = "visually-hidden";
    separator.textContent = " · ";
    const facts = document.createElement("span");
    facts.className = "walk-facts";
    facts.textContent = `${date} ${time} · ${config.lights[walk.light]} · ${config.statuses[walk.status]} · ${walk.participant_count} ${people} · ${walk.observation_count} ${findings}`;
    open.append(name, separator, facts);
    item.append(open);
    markSelected(item, current && current.id === walk.id);
    open.addEventListener("click", () => {
      edit(walk);
      // With many walks the form is far below the list: bring it to the planner.
      $("#walk-form").scrollIntoView({ block: "start", behavior: "smooth" });
    });
    list.append(item);
  }
}

function markSelected(item, on) {
  item.classList.toggle("selected", Boolean(on));
  item.firstElementChild?.setAttribute("aria-current", on ? "true" : "false");
}

function edit(walk) {
  current = walk;
  $("#form-title").textContent = walk ? walk.name : words.new_walk;
  $("#name").value = walk ? walk.name : "";
  const [date, start] = walk ? localParts(walk.starts_at) : ["", ""];
  $("#date").value = date;
  $("#start").value = start;
  $("#end").value = walk && walk.ends_at ? localParts(walk.ends_at)[1] : "";
  $("#light").value = walk ? walk.light : "night";
  lightChosen = false;
  $("#status").value = walk ? walk.status : "planned";
  takeOver(walk);
  showOtherRoutes();
  $("#done").hidden = !walk || walk.status === "done";
  $("#report").hidden = !walk;
  $("#preview").hidden = !walk;
  $("#again").hidden = !walk;
  // Only a walk without findings can go (the API keeps the others).
  $("#delete").hidden = !walk || walk.observation_count > 0;
  if (walk) $("#report").href = config.urls.report.replace("{id}", walk.id);
  if (walk) $("#preview").href = config.urls.preview.replace("{id}", walk.id);
  document.querySelectorAll("#walk-list li").forEach((li) => markSelected(li, walk && Number(li.dataset.id) === walk.id));
  say("", true);
}

// The participants and route of `walk` (none for null) into the form and onto the map.
function takeOver(walk) {
  const chosen = new Set(walk ? walk.participant_names || [] : []);
  document.querySelectorAll("#participants input[type=checkbox]").forEach((box) => (box.checked = chosen.has(box.value)));
  route = walk && walk.route ? walk.route.coordinates.map((c) => [...c]) : [];
  drawRoute();
}

// The API's errors under the form's own words for its fields (not "ends_at: …").
function errorsText(data) {
  const labels = { starts_at: "start", ends_at: "end" };
  return Object.entries(data)
    .map(([field, messages]) => {
      const label = document.querySelector(`label[for="${labels[field] || field}"]`);
      const text = [].concat(messages).join(" ");
      return label ? `${label.textContent}: ${text}` : text;
    })
    .join(" · ");
}

$("#walk-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const date = $("#date").value;
  const [start, end] = [$("#start").value, $("#end").value];
  // A night walk from 22:00 to 01:00 ends the next day.
  const endDate = end && end < start ? nextDay(date) : date;
  const body = {
    name: $("#name").value.trim(),
    starts_at: `${date}T${start}`,
    ends_at: end ? `${endDate}T${end}` : null,
    light: $("#light").value,
    status: $("#status").value,
    participants: [...document.querySelectorAll("#participants input[type=checkbox]:checked")].map((b) => b.value),
    route: route.length > 1 ? { type: "LineString", coordinates: route } : null,
  };
  const answer = current ? await changeWalk("PATCH", body) : await api(config.urls.walks, "POST", body);
  if (!answer.ok) return refused(answer);
  const { data } = answer;
  current = data;
  await loadWalks();
  edit(data);
  routesChanged();
  say(words.saved, true);
});

$("#done").addEventListener("click", async () => {
  if (!current) return;
  const answer = await changeWalk("PATCH", { status: "done" });
  if (!answer.ok) return refused(answer);
  await loadWalks();
  edit(answer.data);
  routesChanged();
  say(words.saved, true);
});
$("#delete").addEventListener("click", async () => {
  if (!current || !window.confirm(words.delete_question.replace("{name}", current.name))) return;
  const answer = await changeWalk("DELETE");
  if (!answer.ok) return refused(answer);
  edit(null);
  await loadWalks();
  routesChanged();
  say(words.deleted, true);
});
// After someone else's change: the walk as it now is replaces this page's copy and drawing.
$("#reload").addEventListener("click", async () => {
  if (!current) return;
  const { ok, data } = await api(config.urls.walk.replace("{id}", current.id));
  await loadWalks();
  routesChanged();
  if (!ok) {
    edit(null); // deleted meanwhile
    return say(errorsText(data), false);
  }
  edit(data);
  say(words.reloaded, true);
});
$("#new-walk").addEventListener("click", () => edit(null));
$("#more-walks").addEventListener("click", () => loadWalks({ more: true }));
let searching;
$("#walk-search").addEventListener("input", () => {
  clearTimeout(searching);
  searching = setTimeout(loadWalks, 250);
});
$("#participant-search").addEventListener("input", (event) => {
  const text = event.target.value.trim().toLowerCase();
  document.querySelectorAll("#participants label").forEach((label) => {
    const box = label.querySelector("input");
    label.hidden = Boolean(text) && !box.checked && !box.value.toLowerCase().includes(text);
  });
});
// Safety walks are repeated (each season, after a fix, at the other light): the same route,
// name, light and participants as a new walk, whose date is left to choose.
$("#again").addEventListener("click", () => {
  const earlier = current;
  if (!earlier) return;
  const [start, end] = [$("#start").value, $("#end").value];
  edit(null);
  $("#name").value = earlier.name;
  $("#light").value = earlier.light;
  lightChosen = true; // "at the other light" is the planner's choice, not the date's
  [$("#start").value, $("#end").value] = [start, end];
  takeOver(earlier);
  say(words.again, true);
  $("#date").focus();
});
$("#undo").addEventListener("click", () => {
  route.pop();
  drawRoute();
});
$("#clear").addEventListener("click", () => {
  route = [];
  drawRoute();
});
map.on("load", drawRoute);
edit(null);
await loadWalks();
document.body.dataset.ready = "true";
