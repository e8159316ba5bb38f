// The imports and analyses page: rows of work still under way (data-job: its status URL in the
// API) show their progress, and the page reloads for the report when one has ended, unless a
// form has been touched meanwhile (a reload would throw away what was typed). A job asked to stop
// (by its Stop button, or by another analyst) says "Stopping…" until its worker has rolled it
// back; it then ends "stopped" like any other end.

const POLL_MS = 2000;
const MAX_POLLS = 1800; // an hour: a page left open does not poll for ever
const ENDED = ["done", "failed", "stopped"];
let touched = false;
document.addEventListener("input", () => (touched = true));

async function poll(rows, round = 0) {
  const ended = [];
  for (const row of rows) {
    try {
      const response = await fetch(row.dataset.job, { credentials: "same-origin" });
      if (!response.ok) continue;
      const job = await response.json();
      const progress = row.querySelector(".progress");
      if (progress) progress.textContent = `${Math.round((job.progress || 0) * 100)} %`;
      if (job.stop_requested_at) {
        row.querySelector(".state").textContent = row.dataset.stopping;
        row.querySelector("form.stop-job")?.remove();
      }
      if (ENDED.includes(job.status)) ended.push(row);
    } catch (error) {
      // Offline for a moment: try again on the next round.
    }
  }
  if (ended.length && !touched) {
    location.reload();
    return;
  }
  const left = rows.filter((row) => !ended.includes(row));
  if (left.length && round < MAX_POLLS) setTimeout(() => poll(left, round + 1), POLL_MS);
}

const rows = [...document.querySelectorAll("tr[data-job]")];
if (rows.length) setTimeout(() => poll(rows), POLL_MS);
