// The planner map on paper and as an image, for committee meetings and reports: *Print* lays
// the view out on A4 landscape with a title, the legends of the layers shown, a scale bar and
// the data notice; *Download PNG* saves the view with a strip that says what it shows.
//
// MapLibre's WebGL canvas keeps no picture between frames (no preserveDrawingBuffer, which
// would cost every frame), so it prints blank. map.redraw() draws the view synchronously and
// the picture is copied to a 2D canvas in the same task, before the browser clears it. That
// works inside `beforeprint` too (Ctrl+P), where an <img> given a data: address might not have
// loaded before the page is laid out for paper; a 2D canvas prints what was drawn on it.

import { areaDay, shortDate } from "./dates.js";
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

  // A map control beside the zoom buttons, not in the panel: on a tablet or a phone the panel
  // is closed, and printing should not need opening it first.
  const button = (id, key, icon, onclick) =>
    el("button", { type: "button", id, class: "print-button", title: t(key), "aria-label": t(key), onclick }, icon());
  const control = el("div", { class: "maplibregl-ctrl maplibregl-ctrl-group print-control", role: "group" },
    button("print-map", "print", printerIcon, () => {
      prepare();
      window.print();
    }),
    button("download-png", "downloadPng", downloadIcon, () => downloadPng(map, config, t)));
  map.addControl({ onAdd: () => control, onRemove: () => control.remove() }, "top-right");
}

// The buttons' pictures, drawn in the page (the CSP takes no inline style or script, and an
// icon font would be one more file).
function icon(...paths) {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("aria-hidden", "true");
  for (const d of paths) {
    const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
    path.setAttribute("d", d);
    svg.append(path);
  }
  return svg;
}
const printerIcon = () => icon("M7 9V4h10v5", "M7 17H5a1 1 0 0 1-1-1v-6a1 1 0 0 1 1-1h14a1 1 0 0 1 1 1v6a1 1 0 0 1-1 1h-2", "M7 14h10v6H7z");
const downloadIcon = () => icon("M12 4v11", "M7 10l5 5 5-5", "M5 20h14");

// ---------------------------------------------------------------- what the view shows, in words

// The filters as the page's address holds them (map.js keeps it up to date), in words.
function filtersInWords(config, t) {
  const asked = new URLSearchParams(location.search);
  const day = (iso) => shortDate(iso, config);
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
  return t("printedOn", { date: shortDate(areaDay(new Date(), config), config) });
}

// Where the data come from (the crime data by the datasets imported, when the crime layer is
// shown), and, on an analyst's map of single incidents, that it is not for publication
// (docs/privacy.md).
function notice(config, t) {
  const crime = config.crimeSources?.length && document.getElementById("toggle-crime")?.checked;
  return [
    t("dataNotice"),
    crime ? t("crimeSources", { sources: config.crimeSources.join(", ") }) : "",
    config.view === "exact" ? t("exactNotice") : "",
  ].filter(Boolean).join(" ");
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
// the area, the period and filters, the date, the legends of the layers shown (as the printed
// page has them) and the data notice. A picture pasted into a report loses its file name, so
// the strip says what it shows; the file is named after the area and the day too.
async function downloadPng(map, config, t) {
  const width = map.getCanvas().clientWidth;
  const strip = stripLines(config, t, width, await spriteSheet(config));
  const { canvas, ratio } = snapshot(map, Math.max(PRINT_RATIO, window.devicePixelRatio || 1), strip.height);
  const context = canvas.getContext("2d");
  context.setTransform(ratio, 0, 0, ratio, 0, canvas.height - strip.height * ratio);
  strip.draw(context);
  const blob = await new Promise((resolve) => canvas.toBlob(resolve, "image/png"));
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = `${config.slug}-${areaDay(new Date(), config)}.png`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000); // once the download has it
}

// The kinds' symbols (the legends' .swatch.symbol, cut from the same sheet), loaded once.
let sprite = null;
function spriteSheet(config) {
  sprite ??= new Promise((resolve) => {
    const image = new Image();
    image.onload = () => resolve(image);
    image.onerror = () => resolve(null); // the labels without their symbols
    image.src = config.sprite.sheet;
  });
  return sprite;
}

const STRIP_FONT = "system-ui, sans-serif";
const PAD = 12;
const INK = "#1d2733";
const MUTED = "#555";

// The strip's rows, wrapped to the picture's width, and how tall they make it.
function stripLines(config, t, width, sheet) {
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
  const text = (words, px, size, colour = INK, weight = "") =>
    wrap(words, `${weight}${px}px ${STRIP_FONT}`).map((line) => ({ text: line, font: `${weight}${px}px ${STRIP_FONT}`, size, colour }));
  const rows = [
    ...text(config.name, 18, 24, INK, "bold "),
    ...text(`${filtersInWords(config, t)} · ${printedOn(config, t)}`, 13, 18),
    ...legendRows(shownLegends(), { measure, width, text, sheet }),
    ...text(notice(config, t), 11, 15, MUTED),
  ];
  const height = PAD * 2 + rows.reduce((sum, row) => sum + row.size, 0);
  const draw = (context) => {
    context.fillStyle = "#fff";
    context.fillRect(0, 0, width, height);
    context.fillStyle = "#d9dee3";
    context.fillRect(0, 0, width, 1);
    context.textBaseline = "middle";
    let y = PAD;
    for (const row of rows) {
      const middle = y + row.size / 2;
      if (row.items) row.items.forEach(({ x, part }) => part.draw(context, x, middle));
      else {
        context.font = row.font;
        context.fillStyle = row.colour;
        context.fillText(row.text, PAD, middle);
      }
      y += row.size;
    }
  };
  return { height, draw };
}

// ---------------------------------------------------------------- legends on a canvas

const ITEM_FONT = `12px ${STRIP_FONT}`;
const ITEM_GAP = 16;

// The legends the panel shows for the layers switched on (shownLegends, as print has them),
// as strip rows: each layer's name, its entries side by side (wrapped to the width), its notes.
// Each entry is read from the legend as drawn on the screen: its swatches, symbols, circles and
// colour bars, and its words.
function legendRows(legends, { measure, width, text, sheet }) {
  const rows = [];
  for (const { label, legend } of legends) {
    rows.push(...text(label, 12, 18, INK, "bold "));
    let row = { items: [], size: 20 };
    let x = PAD;
    for (const entry of legendEntries(legend)) {
      if (entry.note) {
        if (row.items.length) rows.push(row);
        row = { items: [], size: 20 };
        x = PAD;
        rows.push(...text(entry.note, 11, 15, MUTED));
        continue;
      }
      const parts = entry.parts.map((part) => drawable(part, measure, sheet));
      const entryWidth = parts.reduce((sum, part) => sum + part.width + 5, -5);
      if (row.items.length && x + entryWidth > width - PAD) {
        rows.push(row);
        row = { items: [], size: 20 };
        x = PAD;
      }
      for (const part of parts) {
        row.items.push({ x, part });
        x += part.width + 5;
      }
      x += ITEM_GAP - 5;
    }
    if (row.items.length) rows.push(row);
  }
  return rows;
}

// A legend's entries in order: a list item, a size, a colour ramp (its parts: swatches and
// words), or a note (its words).
function legendEntries(legend) {
  if (!legend) return [];
  const entries = legend.querySelectorAll("li, .size, .ramp, .ramp-ends, .bar.wide, .note");
  return [...entries].map((node) => {
    if (node.matches(".note")) return { note: node.textContent.trim() };
    if (node.matches(".bar")) return { parts: [{ bar: node }] };
    const parts = [];
    const walk = (child) => {
      if (child.nodeType === Node.TEXT_NODE) {
        const words = child.textContent.trim();
        if (words) parts.push({ text: words });
      } else if (child.matches(".swatch, .circle, .bar")) parts.push({ [child.matches(".bar") ? "bar" : "swatch"]: child });
      else child.childNodes.forEach(walk);
    };
    node.childNodes.forEach(walk);
    return { parts };
  });
}

// A part of an entry, with its width and how to draw it centred on y.
function drawable(part, measure, sheet) {
  if (part.text) {
    measure.font = ITEM_FONT;
    return {
      width: measure.measureText(part.text).width,
      draw: (context, x, y) => {
        context.font = ITEM_FONT;
        context.fillStyle = INK;
        context.fillText(part.text, x, y);
      },
    };
  }
  if (part.bar) return rampBar(part.bar);
  return swatchShape(part.swatch, sheet);
}

// A colour bar (a linear-gradient in CSS) as a canvas gradient of the same colours.
function rampBar(node) {
  const colours = getComputedStyle(node).backgroundImage.match(/rgba?\([^)]*\)/g) || ["#999"];
  return {
    width: 90,
    draw: (context, x, y) => {
      const gradient = context.createLinearGradient(x, 0, x + 90, 0);
      colours.forEach((colour, i) => gradient.addColorStop(i / Math.max(1, colours.length - 1), colour));
      context.fillStyle = gradient;
      context.fillRect(x, y - 5, 90, 10);
    },
  };
}

// A swatch as the legend's CSS draws it (map.css): a dot, a square, a line (dashed or not),
// a kind's symbol from the sprite, or a circle sized as the crime layer's.
function swatchShape(node, sheet) {
  const style = getComputedStyle(node);
  const colour = style.getPropertyValue("--c").trim() || style.backgroundColor;
  const has = (name) => node.classList.contains(name);
  if (has("symbol")) {
    const i = Number(style.getPropertyValue("--i"));
    return {
      width: 16,
      draw: (context, x, y) => {
        if (!sheet) return;
        context.globalAlpha = Number(style.opacity); // faded for a settled finding
        context.drawImage(sheet, i * sheet.height, 0, sheet.height, sheet.height, x, y - 8, 16, 16);
        context.globalAlpha = 1;
      },
    };
  }
  if (has("circle")) {
    const r = parseFloat(style.getPropertyValue("--r")) || 5;
    return {
      width: 2 * r,
      draw: (context, x, y) => {
        context.beginPath();
        context.arc(x + r, y, r, 0, 2 * Math.PI);
        context.fillStyle = style.backgroundColor;
        context.fill();
      },
    };
  }
  if (has("line")) {
    return {
      width: 18,
      draw: (context, x, y) => {
        context.strokeStyle = colour;
        context.lineWidth = 4;
        context.setLineDash(has("dashed") ? [8, 4] : []);
        context.beginPath();
        context.moveTo(x, y);
        context.lineTo(x + 18, y);
        context.stroke();
        context.setLineDash([]);
      },
    };
  }
  return {
    width: 12,
    draw: (context, x, y) => {
      context.fillStyle = colour;
      context.strokeStyle = "rgba(0, 0, 0, .25)";
      context.lineWidth = 1;
      context.beginPath();
      if (has("dot")) context.arc(x + 6, y, 6, 0, 2 * Math.PI);
      else context.rect(x, y - 6, 12, 12);
      context.fill();
      context.stroke();
    },
  };
}
