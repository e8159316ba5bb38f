// The imports and analyses page follows its work under way without a reload. Every few seconds
// each row of a queued or running job (data-job: its status URL in the API) shows the job's
// status and progress as the API gives them. A job asked to stop (by its Stop button, or by
// another analyst) says "Stopping…" until its worker has rolled it back. A running job whose
// worker has reported no progress for long (the API's `stalled`: PROGRESS_SILENCE_LIMIT in
// layers/models.py) says since when, as the worker may be stuck; one whose worker died is ended
// failed by the status read itself (layers/jobs.py). A job that has ended gets its whole row as
// the server renders it now (the report, the error, its buttons), from the page fetched in the
// background: a reload would throw away what was typed in the forms.

const POLL_MS = 2000;
const MAX_POLLS = 1800; // an hour: a page left open does not poll for ever
const UNDER_WAY = ["queued", "running"];
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
  if (job.status === "running" && job.stop_requested_at) return words.stopping;
  if (job.stalled) {
    return words.stalled.replace("%(time)s", hoursMinutes(job.progress_at || job.started_at));
  }
  return words.status[job.status] ?? job.status;
}

function show(row, job) {
  const state = row.querySelector(".state");
  state.textContent = stateOf(job);
  state.classList.toggle("stalled", job.stalled && !job.stop_requested_at);
  row.querySelector(".status").dataset.status = job.status;
  const progress = row.querySelector(".progress");
  if (progress) progress.textContent = `${Math.round((job.progress || 0) * 100)} %`;
  if (job.stop_requested_at) row.querySelector("form.stop-job")?.remove();
}

// A copy of a row without its forms' CSRF tokens, which differ on every rendering.
function content(row) {
  const copy = row.cloneNode(true);
  for (const token of copy.querySelectorAll("input[name=csrfmiddlewaretoken]")) token.remove();
  return copy.innerHTML;
}

// The rows of jobs that have ended, and the others' (a finished analysis moves "On the map"),
// from the page as it is now. Rows still under way stay: their polling shows them. A row the
// page no longer lists (its job deleted meanwhile) goes. False if the page could not be had.
async function refresh(over) {
  let fresh;
  try {
    const response = await fetch(location.pathname, { credentials: "same-origin" });
    if (!response.ok) return false;
    fresh = new DOMParser().parseFromString(await response.text(), "text/html");
  } catch (error) {
    return false; // offline for a moment: the next round tries again
  }
  for (const row of document.querySelectorAll("table.jobs tr[id]")) {
    if (row.dataset.job && !over.includes(row)) continue;
    const now = fresh.getElementById(row.id);
    if (!now) row.remove();
    else if (content(now) !== content(row)) swap(row, document.importNode(now, true));
  }
  return true;
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

async function poll(round) {
  const over = [];
  for (const row of document.querySelectorAll("tr[data-job]")) {
    try {
      const response = await fetch(row.dataset.job, { credentials: "same-origin" });
      if (response.status === 404) over.push(row); // deleted meanwhile
      if (!response.ok) continue;
      const job = await response.json();
      show(row, job);
      if (!UNDER_WAY.includes(job.status)) over.push(row);
    } catch (error) {
      // Offline for a moment: try again on the next round.
    }
  }
  // Until the page has been had, an ended row keeps its data-job and is asked for again.
  if (over.length) await refresh(over);
  if (document.querySelector("tr[data-job]") && round < MAX_POLLS) {
    setTimeout(() => poll(round + 1), POLL_MS);
  }
}

if (document.querySelector("tr[data-job]")) setTimeout(() => poll(1), POLL_MS);

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
