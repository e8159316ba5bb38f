// How often the imports and analyses page asks the area's jobs API (jobs.js). Every 2 s while a
// job is under way, so that its row follows it closely; with nothing under way it only watches
// for jobs started elsewhere (another analyst, another tab), and waits twice as long each round,
// up to IDLE_MAX_MS: a page left open on an idle area asks a few hundred times an hour, not 1,800.
// For at most an hour from the page's load: a page left open does not poll for ever.

export const POLL_MS = 2000;
export const IDLE_MAX_MS = 10000;
export const POLL_FOR_MS = 60 * 60 * 1000;

// The wait before the next round, after a round that waited `last` ms, `elapsed` ms after the
// page's load, found a job under way or not (`underWay`; false too when the API could not be
// had: offline, it backs off as well); null once the hour is over.
export function nextWait(last, underWay, elapsed) {
  if (elapsed >= POLL_FOR_MS) return null;
  return underWay ? POLL_MS : Math.min(last * 2, IDLE_MAX_MS);
}
