// The imports and analyses page follows the area's work without a reload. Every few seconds it
// asks the area's jobs API (data-area-jobs: its latest imports and analyses, where each stands),
// and each row of a queued or running job (data-job) shows its job's status and progress (and a
// running import the rows it has read so far, in its Rows column). A job
// asked to stop (by its Stop button, or by another analyst) says "Stopping…" until its worker has
// rolled it back; one whose worker has gone silent says since when, as the stop waits for its
// next report. A running job whose worker has reported no progress for long (the API's
// `stalled`: PROGRESS_SILENCE_LIMIT in layers/models.py) says since when, as the worker may be
// stuck; one whose worker died is ended failed by the status read itself (layers/jobs.py). A job
// queued for long while no worker was at work (`unclaimed`) asks whether the worker runs.
// When a job has ended, or the API lists jobs the page does not (started by another analyst, in
// another tab) or no longer lists one, the lists take their rows as the server renders them now
// (the report, the error, the buttons), from the page fetched in the background: a reload would
// throw away what was typed in the forms. So does the note on which analysis the map shows, when
// the API names another (pinned by another analyst, or a later one finished). Every 2 s while a
// job is under way, less often while none is, for at most an hour (polling.js); a tab in the
// background asks nothing.

import { POLL_MS, nextWait } from "./polling.js";

const UNDER_WAY = ["queued", "running"];
const JOBS_URL = document.querySelector("[data-area-jobs]").dataset.areaJobs;
const words = JSON.parse(document.getElementById("job-words").textContent);
// Hours and minutes in the site's zone, as the server writes them ("H:i").
const clock = new Intl.DateTimeFormat("en-GB", {
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
  timeZone: words.zone,
});

function hoursMinutes(iso) {
  const parts = clock.formatToParts(new Date(iso));
  const part = (type) => parts.find((p) => p.type === type).value;
  return `${part("hour")}:${part("minute")}`;
}

// What layers/templates/layers/job_status.html says of a job.
function stateOf(job) {
  const since = (phrase, iso) => phrase.replace("%(time)s", hoursMinutes(iso));
  const lastReport = job.progress_at || job.started_at;
  if (job.status === "running" && job.stop_requested_at) {
    return job.stalled ? since(words.stopping_stalled, lastReport) : words.stopping;
  }
  if (job.stalled) return since(words.stalled, lastReport);
  if (job.unclaimed) return since(words.unclaimed, job.created_at);
  return words.status[job.status] ?? job.status;
}

function show(row, job) {
  const state = row.querySelector(".state");
  state.textContent = stateOf(job);
  state.classList.toggle("stalled", job.stalled || job.unclaimed);
  row.querySelector(".status").dataset.status = job.status;
  // Progress once a worker runs the job (a queued one's "0 %" read as stuck), as the server
  // renders it.
  let progress = row.querySelector(".progress");
  if (job.status === "running" && !progress) {
    progress = document.createElement("span");
    progress.className = "progress";
    state.after(" ", progress);
  }
  if (progress) progress.textContent = `${Math.round((job.progress || 0) * 100)} %`;
  // A running import's rows read so far, stored with its progress (the report once it is done).
  if (job.status === "running" && "read" in job) {
    // Grouped as the page's language groups digits (the server's intcomma): 1,200 or 1 200.
    const rows = Number(job.read).toLocaleString(document.documentElement.lang);
    row.querySelector(".counts").textContent = words.read_so_far.replace("%(rows)s", rows);
  }
  if (job.stop_requested_at) row.querySelector("form.stop-job")?.remove();
}

// Which analysis the map shows, as the page's note (#on-the-map) and the API write it.
function shownOf(jobs) {
  const run = jobs.on_the_map;
  return run ? `${run.id}${run.pinned ? ":pinned" : ""}` : "";
}

// A copy of a row without its forms' CSRF tokens, which differ on every rendering.
function content(row) {
  const copy = row.cloneNode(true);
  for (const token of copy.querySelectorAll("input[name=csrfmiddlewaretoken]")) token.remove();
  return copy.innerHTML;
}

// The area's latest jobs as the API lists them, by the id of their row, and which analysis the
// map shows (`shown`, as shownOf writes it); null if not had.
async function listed() {
  try {
    const response = await fetch(JOBS_URL, { credentials: "same-origin" });
    if (!response.ok) return null;
    const jobs = await response.json();
    const rows = new Map([
      ...jobs.imports.map((job) => [`import-${job.id}`, job]),
      ...jobs.analyses.map((job) => [`run-${job.id}`, job]),
    ]);
    return { rows, shown: shownOf(jobs) };
  } catch (error) {
    return null; // offline for a moment: the next round tries again
  }
}

// Whether a row gives way to its rendering `now`: a row under way only once it has ended (its
// polling shows it until then), any other once it has changed.
function stale(row, now, over) {
  return row.dataset.job ? over.includes(row) : content(now) !== content(row);
}

// Bring a list's rows in line with the page as rendered now: new rows go in at their place, rows
// it no longer has go, and ended rows (`over`) and changed ones (a finished analysis moves "On
// the map") take the new rendering.
function merge(body, fresh, over) {
  let previous = null;
  for (const now of fresh.rows) {
    let row = document.getElementById(now.id);
    if (!row || stale(row, now, over)) {
      const copy = document.importNode(now, true);
      if (row) swap(row, copy);
      else if (previous) previous.after(copy);
      else body.prepend(copy);
      row = copy;
    }
    previous = row;
  }
  const kept = new Set([...fresh.rows].map((row) => row.id));
  for (const row of [...body.rows]) if (!kept.has(row.id)) row.remove();
}

// Puts `fresh` in for `row`. A keyboard user on one of its buttons stays on that button, or on
// the row if the button is gone (a job's Stop once it has ended), not thrown back to the top.
function swap(row, fresh) {
  const focused = row.contains(document.activeElement) ? document.activeElement : null;
  row.replaceWith(fresh);
  if (!focused) return;
  const label = focused.getAttribute("aria-label");
  const same = label && [...fresh.querySelectorAll("button")].find((b) => b.getAttribute("aria-label") === label);
  if (same) return same.focus();
  fresh.tabIndex = -1;
  fresh.focus();
}

// The lists (.job-list) as the page renders them now, and the note on which analysis the map
// shows. A list that had no table, or has none now (its first job, or its last deleted), is
// taken whole. False if the page could not be had.
async function refresh(over) {
  let fresh;
  try {
    // Marked as a background fetch: the server leaves the messages ("Import queued") a POST
    // left for the next page shown alone, not used up on a page nobody sees.
    const headers = { "X-Trygg-Background": "1" };
    const response = await fetch(location.pathname, { credentials: "same-origin", headers });
    // Signed out meanwhile, the page is the login form's: its lists would look empty.
    if (!response.ok || response.redirected) return false;
    fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (error) {
    return false; // offline for a moment: the next round tries again
  }
  for (const list of document.querySelectorAll(".job-list")) {
    const now = fresh.getElementById(list.id);
    if (!now) continue;
    const body = list.querySelector("tbody");
    const freshBody = now.querySelector("tbody");
    if (body && freshBody) merge(body, freshBody, over);
    else list.replaceWith(document.importNode(now, true));
  }
  const note = fresh.getElementById("on-the-map");
  if (note) document.getElementById("on-the-map")?.replaceWith(document.importNode(note, true));
  return true;
}

// The next round after `wait` ms; a hidden tab's waits for the tab to be shown again.
function schedule(wait) {
  if (wait === null) return; // the hour is over
  setTimeout(() => {
    if (!document.hidden) return poll(wait);
    document.addEventListener("visibilitychange", () => poll(POLL_MS), { once: true });
  }, wait);
}

async function poll(wait) {
  const { rows: jobs, shown } = (await listed()) ?? {};
  if (jobs) {
    const over = [];
    for (const row of document.querySelectorAll("tr[data-job]")) {
      const job = jobs.get(row.id);
      if (job) show(row, job);
      if (!job || !UNDER_WAY.includes(job.status)) over.push(row); // ended, or deleted
    }
    const rows = [...document.querySelectorAll(".job-list tr[id]")].map((row) => row.id);
    const elsewhere = rows.length !== jobs.size || rows.some((id) => !jobs.has(id));
    // Another analysis on the map: pinned (here or elsewhere), or a later one finished.
    const mapMoved = shown !== (document.getElementById("on-the-map")?.dataset.shown ?? shown);
    // Until the page has been had, an ended row keeps its data-job and is looked at again.
    if (over.length || elsewhere || mapMoved) await refresh(over);
  }
  // Under way: a job the API lists so, or a row the page has not yet had ended.
  const listedUnderWay = [...(jobs?.values() ?? [])].some((job) => UNDER_WAY.includes(job.status));
  const underWay = listedUnderWay || document.querySelector("tr[data-job]") !== null;
  schedule(nextWait(wait, underWay, performance.now()));
}

schedule(POLL_MS);

// Each change on the page is a plain form posted once: its button is disabled as it goes, so a
// double click or an Enter pressed twice does not post it twice (the server, too, answers a
// second "Run again" with the run it queued first). On `window`, so after page.js has asked
// (data-confirm) on the document: a question answered "no" leaves the button as it was.
window.addEventListener("submit", (event) => {
  if (event.defaultPrevented) return;
  for (const button of event.target.querySelectorAll("button")) button.disabled = true;
});
// Back on this page from the browser's history, as it was left: its buttons work again.
window.addEventListener("pageshow", (event) => {
  if (!event.persisted) return;
  for (const button of document.querySelectorAll("form button:disabled")) button.disabled = false;
});
