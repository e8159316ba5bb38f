// The tablet capture app: place observations on the area's own blocks, keep them in an
// IndexedDB outbox and sync them when a connection is there. This entry module sets the app up
// and ties its parts together: the map (capture-map.js), drawing a finding (drawing.js), the
// sheet that saves it (sheet.js), findings already saved (findings.js), the sync (sync.js) and
// the status bar (status.js), the copies kept for offline use (offline.js). The service worker
// precaches every one of them (walks/pages.py).
// In a preview (config.preview: a planner sees the app as its participants will) the app stores
// and sends nothing: the outbox is an empty one (queue.js), the sync stays off (sync.js), Save
// only says so (sheet.js), and no service worker or offline copy is set up here.
import { LANGUAGES, pickLanguage, translator } from "./i18n.js";
import { openQueue } from "./queue.js";
import { renderRefused } from "./refused.js";
import { rewordControls } from "/static/js/map-words.js";
import { $, clockTime } from "./dom.js";
import { createMap, findingsAt, followPosition, showOutbox } from "./capture-map.js";
import { drawingPins } from "./drawing.js";
import { findingSheet, focusKind } from "./sheet.js";
import { savedFindings } from "./findings.js";
import { asFinding, outboxSync } from "./sync.js";
import { statusBar } from "./status.js";
import { holdOffline, keepOffline, pruneNowAndThen } from "./offline.js";

const config = JSON.parse(document.getElementById("capture-config").textContent);
const walkId = config.walk.id;
const kindsByCode = Object.fromEntries(config.kinds.map((k) => [k.code, k]));
const language = pickLanguage(config.language);

// What the app's parts share: the page's config, the outbox, the language, and what the server
// has said about the walk.
const app = {
  config,
  queue: await openQueue(config.preview),
  // The outbox keeps each participant's findings apart: on a tablet passed round, what one
  // captured goes out under their name, when they are signed in, never under the next one's.
  queueKey: `${walkId}:${config.user}`,
  // Stored with each finding: should the walk be deleted, or the participant taken off it, My
  // walks still names the walk whose findings the outbox holds.
  walkAbout: { id: walkId, name: config.walk.name, area_name: config.walk.area_name },
  kindsByCode,
  // A kind by its code; one this page no longer offers goes by its code.
  kindOf: (code) => kindsByCode[code] || { code },
  language,
  t: translator(language), // switched with the language
  label: (kind) => (kind.labels && (kind.labels[app.language] || kind.labels.en)) || kind.code,
  // A 403 from the sync: this participant is no longer on the walk (asked again on each sync, as
  // they may be put back; the kinds stay greyed out until the page is reloaded).
  offWalk: false,
  // 404 from the sync: the walk is gone from the server (sync.js).
  walkGone: 0,
};
await app.queue.adopt(walkId, app.queueKey);

const { map, colours } = await createMap(config.walk, config.urls, language);
// For the browser tests and for debugging on a tablet.
window.tryggCapture = { map };

const status = statusBar(app);
const position = followPosition(map, () => status.flash("no_gps"));
// The outbox changed here: show it and send it.
const changed = async () => {
  await refresh();
  outbox.syncSoon(0);
};
const drawing = drawingPins(app, map, { pinColour: colours.pin, hint: status.hint, openSheet: () => sheet.open() });
const sheet = findingSheet(app, {
  drawing,
  status,
  accuracy: position.accuracy,
  saved: changed,
  closeOthers: () => {
    findings.close();
    findings.closeMine();
  },
});
const outbox = outboxSync(app, {
  refresh,
  flash: status.flash,
  somethingWaits: status.somethingWaits,
  walkStopped: sheet.walkStopped,
  walkClosed: sheet.walkClosed,
});
const findings = savedFindings(app, map, {
  justSent: outbox.justSent,
  flash: status.flash,
  focusKind,
  withdrawn: changed,
  edit: sheet.edit,
});

map.on("click", (event) => {
  if (drawing.current()) drawing.placeAt(event.lngLat, event.point);
  else findings.showAt(findingsAt(map, event.point));
});

// Escape closes what is open: a finding's details or the findings to choose from, else the
// finding being drafted.
addEventListener("keydown", (event) => {
  if (event.key !== "Escape") return;
  if (!findings.closeOpen() && drawing.current()) $("#cancel").click();
});

// ---------- what the participant sees of the outbox ----------
let rejectedShown = 0;

async function refresh() {
  const { queue, queueKey } = app;
  status.showCounts(await queue.counts(queueKey), await queue.othersWaiting(`${walkId}:`, queueKey));
  const pending = await queue.pending(queueKey);
  // A finding corrected once sent shows as corrected at once, as waiting to sync, in place of
  // the server's copy (the outbox's own copy of one sent meanwhile is corrected already).
  const inOutbox = new Set(pending.map((item) => item.client_id));
  const corrected = (await queue.corrections(queueKey)).filter((item) => !inOutbox.has(item.client_id));
  showOutbox(map, {
    queued: [...pending, ...corrected].map((item) => ({
      ...asFinding(item),
      positive: kindsByCode[item.kind]?.positive || false,
      mine: true,
      queued: true,
    })),
    hidden: [...(await queue.withdrawals(queueKey)), ...corrected].map((w) => w.client_id),
    storedUrl: config.urls.observations,
  });

  const rejected = await queue.rejected(queueKey);
  if (rejected.length > rejectedShown) status.flash("needs_attention", 6000, rejected.length); // read aloud
  rejectedShown = rejected.length;
  // A walk gone from the server: its findings still in the outbox are not accepted either, but
  // stay on the tablet (no Dismiss: the coordinator may still want them).
  renderRefused($("#rejected"), {
    rejected,
    stranded: app.walkGone ? pending : [],
    say: app.t,
    describe: (item, timed) => {
      const what = app.label(app.kindOf(item.kind));
      return timed ? `${clockTime(item.captured_at, app.language)} · ${what}` : what;
    },
    onDismiss: async (item) => {
      if (sheet.isFixing(item.client_id)) sheet.cancel();
      await queue.dismissRejected(item.client_id);
      await refresh();
      focusKind(null);
    },
    onFix: sheet.fix,
  });
}

// ---------- language ----------
function applyLanguage() {
  const { language } = app;
  app.t = translator(language);
  document.documentElement.lang = language;
  // The server words its rejection reasons in the language of this cookie.
  document.cookie = `django_language=${language}; path=/; SameSite=Lax`;
  document.querySelectorAll("[data-t]").forEach((el) => (el.textContent = app.t(el.dataset.t)));
  document.querySelectorAll("[data-t-placeholder]").forEach((el) => {
    el.placeholder = app.t(el.dataset.tPlaceholder);
  });
  document.querySelectorAll("[data-t-label]").forEach((el) => {
    el.setAttribute("aria-label", app.t(el.dataset.tLabel));
  });
  status.rewordToast();
  sheet.reword();
  findings.reword();
  outbox.showNet();
  rewordControls(map.getContainer(), language);
}

const select = $("#language");
for (const [code, name] of Object.entries(LANGUAGES)) select.add(new Option(name, code));
select.value = language;
select.addEventListener("change", async () => {
  app.language = select.value;
  localStorage.setItem("trygg-language", app.language);
  applyLanguage();
  await refresh();
});

// ---------- start ----------
// Heights the stylesheet places things by: the bar's (it wraps on a phone) for what sits below
// it, the hint's (one line on a tablet, three on a phone) for the list below that, and the kinds'
// for the drawing tools above them.
function keepHeight(element, variable) {
  const set = () => document.documentElement.style.setProperty(variable, `${element.offsetHeight}px`);
  new ResizeObserver(set).observe(element);
  set();
}
keepHeight(document.querySelector(".bar"), "--bar");
keepHeight($("#hint"), "--hint");
keepHeight($("#kinds"), "--kinds");
applyLanguage();
map.on("load", async () => {
  position.show();
  await refresh();
  document.body.dataset.ready = "true";
});
await refresh();
outbox.start();

// Ask the browser not to clear this site's storage when the tablet runs short of space: the
// outbox holds findings that exist nowhere else until they are synced.
if (!config.preview) navigator.storage?.persist?.().catch(() => {});

if ("serviceWorker" in navigator && !config.preview) {
  // This walk's copies are this participant's, whoever signs in on the tablet next (offline.js).
  holdOffline(walkId, config.user);
  const stored = navigator.serviceWorker
    .register(config.urls.service_worker, { scope: "/walks/" })
    .then(() => navigator.serviceWorker.ready)
    // This very page load happened before the worker could see it: store the page and the
    // area's data now, so reopening the app without a connection works from the first visit.
    .then(async () => {
      if (!navigator.onLine) return false;
      await keepOffline([location.pathname, config.urls.blocks, config.urls.observations]);
      return true;
    });
  stored
    .then(() => (document.body.dataset.offlineReady = "true"))
    .catch((e) => console.warn("offline copy not prepared", e));
  stored
    .then(async (kept) => {
      const dropped = kept ? await prune() : null;
      document.body.dataset.pruned = String(dropped !== null); // for the browser tests
    })
    .catch((e) => console.warn("the offline copies were not pruned", e));
}

// The copies other walks no longer need (offline.js), as My walks prunes them: an installed app
// starts here and may never open My walks. Only once this walk's own copies are stored and its
// outbox synced, and at most once a day. This walk counts as the participant's and open, so
// nothing it reads offline goes, whatever the list (an older copy of this page) says; nor do
// the copies other participants opened on this tablet. Returns the URLs dropped, or null when
// it did not prune.
async function prune() {
  await outbox.synced;
  const waiting = await app.queue.waitingWalks();
  const { walks, open } = config.offline;
  const lists = { user: config.user, walks: [...walks, walkId], open: [...open, walkId], waiting };
  return pruneNowAndThen(lists);
}
