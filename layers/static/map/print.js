// The planner map on paper and as an image, for committee meetings and reports: *Print* lays
// the view out on A4 landscape with a title, the legends of the layers shown, a scale bar and
// the data notice; *Download PNG* saves the view with a strip that says what it shows.
//
// MapLibre's WebGL canvas keeps no picture between frames (no preserveDrawingBuffer, which
// would cost every frame), so it prints blank. map.redraw() draws the view synchronously and
// the picture is copied to a 2D canvas in the same task, before the browser clears it. That
// works inside `beforeprint` too (Ctrl+P), where an <img> given a data: address might not have
// loaded before the page is laid out for paper; a 2D canvas prints what was drawn on it.

import { walkLabel } from "./walk-filter.js";

// At least twice the screen's pixels: a view 1100 px wide prints at some 140 dpi otherwise.
const PRINT_RATIO = 2;

export function addPrinting({ map, config, t, el }) {
  const sheet = el("section", { id: "print-sheet", class: "print-sheet" }); // on paper only
  document.querySelector("main").append(sheet);
  let prepared = false; // by the button, so the beforeprint that follows does not draw again

  const prepare = () => {
    if (prepared) return;
    prepared = true;
    sheet.replaceChildren(...printSheet(map, config, t, el));
  };
  const release = () => {
    prepared = false;
    sheet.replaceChildren(); // the copy of the view is several megabytes
  };
  window.addEventListener("beforeprint", prepare);
  window.addEventListener("afterprint", release);

  const print = el("button", {
    type: "button",
    id: "print-map",
    class: "button",
    onclick: () => {
      prepare();
      window.print();
    },
  }, t("print"));
  const png = el("button", { type: "button", id: "download-png", class: "button", onclick: () => downloadPng(map, config, t, el) }, t("downloadPng"));
  document.getElementById("print-actions").replaceChildren(print, png);
}

// ---------------------------------------------------------------- what the view shows, in words

// The filters as the page's address holds them (map.js keeps it up to date), in words.
function filtersInWords(config, t) {
  const asked = new URLSearchParams(location.search);
  const day = (iso) => new Date(`${iso}T12:00:00Z`).toLocaleDateString(config.language, { dateStyle: "medium", timeZone: "UTC" });
  const [from, to] = [asked.get("from"), asked.get("to")];
  const period = from && to ? t("periodBetween", { from: day(from), to: day(to) })
    : from ? t("periodFrom", { from: day(from) })
      : to ? t("periodUntil", { to: day(to) }) : t("periodAll");
  // A filter may name several codes or walks (`walk=3,7`): each is named by its label.
  const label = (list, value) => value.split(",")
    .map((one) => list.find(([code]) => code === one)?.[1] ?? one).join(", ");
  const named = {
    category: (v) => label(config.categories.map((c) => [c.code, c.label]), v),
    kind: (v) => label(config.kinds.map((k) => [k.code, k.label]), v),
    light: (v) => t(v),
    follow_up: (v) => label(config.followUps, v),
    walk: (v) => label((config.walks || []).map((w) => [String(w.id), walkLabel(w)]), v),
  };
  const chosen = Object.keys(named).filter((name) => asked.get(name));
  const filters = chosen.map((name) => `${t(name)}: ${named[name](asked.get(name))}`);
  return [period, ...(filters.length ? filters : [t("noFilters")])].join(" · ");
}

function printedOn(config, t) {
  const date = new Date().toLocaleDateString(config.language, { dateStyle: "long", timeZone: config.timeZone });
  return t("printedOn", { date });
}

// Where the data come from, and, on an analyst's map of single incidents, that it is not for
// publication (docs/privacy.md).
function notice(config, t) {
  return [t("dataNotice"), config.view === "exact" ? t("exactNotice") : ""].filter(Boolean).join(" ");
}

// The layers switched on, with their legends, as the panel shows them.
function shownLegends() {
  return [...document.querySelectorAll("#layer-list .layers > li")]
    .filter((item) => item.querySelector("input[type=checkbox]")?.checked)
    .map((item) => ({ label: item.querySelector(".toggle span").textContent, legend: item.querySelector(".legend") }));
}

// ---------------------------------------------------------------- the picture

// The view as it is now, with its scale bar, on a 2D canvas `strip` CSS pixels taller, and the
// ratio of its pixels to the screen's CSS pixels. That is `ratio` unless the view is too wide
// for it: MapLibre draws at most maxCanvasSize (4,096) pixels across, and the scale bar and
// the strip are drawn at the ratio the view was, or they miss it.
function snapshot(map, ratio, strip = 0) {
  const overridden = ratio !== map.getPixelRatio();
  if (overridden) map.setPixelRatio(ratio);
  try {
    map.redraw();
    const source = map.getCanvas();
    const drawn = source.width / source.clientWidth;
    const canvas = document.createElement("canvas");
    canvas.width = source.width;
    canvas.height = source.height + Math.round(strip * drawn);
    const context = canvas.getContext("2d");
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0);
    // Chromium prints a 2D canvas by replaying what was drawn on it, drawImage included: the
    // WebGL canvas read again then (at the screen's pixel ratio, or cleared) printed the view
    // shrunk into a corner. Put back as pixels, it prints as it was copied.
    context.putImageData(context.getImageData(0, 0, source.width, source.height), 0, 0);
    context.scale(drawn, drawn);
    drawScale(context, map, source.clientHeight);
    return { canvas, ratio: drawn };
  } finally {
    // The map follows the screen's ratio again (map.js sets none), and the screen is drawn at
    // it: kept at the ratio it had, a browser zoom or a sharper screen would show it blurred.
    if (overridden) map.setPixelRatio(null);
  }
}

// MapLibre's scale bar (its length and words follow the view), drawn into the picture so that
// it scales with it on paper.
function drawScale(context, map, height) {
  const bar = map.getContainer().querySelector(".maplibregl-ctrl-scale");
  if (!bar) return;
  const width = bar.getBoundingClientRect().width;
  const [x, y] = [12, height - 12];
  context.font = "12px system-ui, sans-serif";
  const label = bar.textContent;
  context.fillStyle = "rgba(255, 255, 255, .85)";
  context.fillRect(x - 6, y - 24, Math.max(width, context.measureText(label).width) + 12, 30);
  context.strokeStyle = "#333";
  context.lineWidth = 1.5;
  context.beginPath();
  context.moveTo(x, y - 6);
  context.lineTo(x, y);
  context.lineTo(x + width, y);
  context.lineTo(x + width, y - 6);
  context.stroke();
  context.fillStyle = "#333";
  context.fillText(label, x, y - 10);
}

// ---------------------------------------------------------------- print

function printSheet(map, config, t, el) {
  const { canvas: picture } = snapshot(map, Math.max(PRINT_RATIO, window.devicePixelRatio || 1));
  picture.className = "print-picture";
  picture.setAttribute("role", "img");
  picture.setAttribute("aria-label", config.name);
  const legends = shownLegends().map(({ label, legend }) =>
    el("div", { class: "print-legend" }, el("h2", {}, label), legend?.cloneNode(true)));
  return [
    el("header", { class: "print-head" },
      el("h1", {}, config.name),
      el("p", { class: "print-filters" }, filtersInWords(config, t)),
      el("p", { class: "print-date" }, printedOn(config, t))),
    el("div", { class: "print-body" },
      el("figure", { class: "print-map" }, picture),
      el("aside", { class: "print-legends" }, ...legends)),
    el("footer", { class: "print-notice" }, notice(config, t), " ", location.href),
  ];
}

// ---------------------------------------------------------------- PNG

// The view at the screen's pixels (at least twice over, for a report) with a strip below it:
// the area, the period and filters, the date, the block classes when blocks are shown, and the
// data notice. A picture pasted into a report loses its file name, so the strip says what it
// shows; the file is named after the area and the day too.
async function downloadPng(map, config, t, el) {
  const width = map.getCanvas().clientWidth;
  const strip = stripLines(config, t, width);
  const { canvas, ratio } = snapshot(map, Math.max(PRINT_RATIO, window.devicePixelRatio || 1), strip.height);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, canvas.height - strip.height * ratio);
  strip.draw(context);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const url = URL.createObjectURL(blob);
  const today = new Date().toLocaleDateString("sv", { timeZone: config.timeZone }); // ISO
  const link = el("a", { href: url, download: `${config.slug}-${today}.png` });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000); // once the download has it
}

const STRIP_FONT = "system-ui, sans-serif";
const PAD = 12;

// The strip's lines, wrapped to the picture's width, and how tall they make it.
function stripLines(config, t, width) {
  const measure = document.createElement("canvas").getContext("2d");
  const wrap = (text, font) => {
    measure.font = font;
    const lines = [""];
    for (const word of text.split(" ")) {
      const line = lines.at(-1) ? `${lines.at(-1)} ${word}` : word;
      if (measure.measureText(line).width > width - 2 * PAD && lines.at(-1)) lines.push(word);
      else lines[lines.length - 1] = line;
    }
    return lines;
  };
  const rows = [
    ...wrap(config.name, `bold 18px ${STRIP_FONT}`).map((text) => ({ text, font: `bold 18px ${STRIP_FONT}`, size: 24 })),
    ...wrap(`${filtersInWords(config, t)} · ${printedOn(config, t)}`, `13px ${STRIP_FONT}`).map((text) => ({ text, font: `13px ${STRIP_FONT}`, size: 18 })),
  ];
  const blocks = config.view !== "walks" && document.getElementById("toggle-blocks")?.checked;
  if (blocks) rows.push({ classes: true, size: 22 });
  rows.push(...wrap(notice(config, t), `11px ${STRIP_FONT}`).map((text) => ({ text, font: `11px ${STRIP_FONT}`, size: 15, colour: "#555" })));
  const height = PAD * 2 + rows.reduce((sum, row) => sum + row.size, 0);
  const draw = (context) => {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.fillStyle = "#d9dee3";
    context.fillRect(0, 0, width, 1);
    context.textBaseline = "middle";
    let y = PAD;
    for (const row of rows) {
      if (row.classes) drawClasses(context, config, t, y + row.size / 2);
      else {
        context.font = row.font;
        context.fillStyle = row.colour || "#1d2733";
        context.fillText(row.text, PAD, y + row.size / 2);
      }
      y += row.size;
    }
  };
  return { height, draw };
}

// The four block classes of the bivariate legend in a row, each with its colour.
function drawClasses(context, config, t, y) {
  context.font = `12px ${STRIP_FONT}`;
  let x = PAD;
  for (const name of ["both_high", "fear_exceeds_crime", "crime_exceeds_fear", "both_low"]) {
    context.fillStyle = config.classColours[name];
    context.fillRect(x, y - 6, 12, 12);
    context.strokeStyle = "rgba(0, 0, 0, .25)";
    context.lineWidth = 1;
    context.strokeRect(x, y - 6, 12, 12);
    context.fillStyle = "#1d2733";
    context.fillText(t(name), x + 17, y);
    x += 17 + context.measureText(t(name)).width + 18;
  }
}
