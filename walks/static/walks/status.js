// The capture app's words to the participant outside the sheet: the hint under the bar, the
// toast that comes and goes, and the outbox's counts in the bar. The connection's state in the
// bar belongs to the sync (sync.js), which knows it.
import { $ } from "./dom.js";

// Words that ask something of the participant, shown as a warning rather than as a success.
const WARNINGS = new Set([
  "not_participant",
  "needs_attention",
  "outside_area",
  "no_gps",
  "withdraw_refused",
  "photo_remove_offline",
  "photo_not_removed",
  "not_stored",
  "not_stored_reload",
  "walk_gone",
]);

// `app.t` is read at each call: the language menu switches it.
export function statusBar(app) {
  // The toast keeps its word, not its text, so a language switch while it shows re-words it.
  let flashWord = null;
  let flashTimer = null;

  function hint(text) {
    $("#hint").textContent = text;
  }

  function flash(word, ms = 2500, count = undefined) {
    const toast = $("#toast");
    flashWord = [word, count];
    toast.textContent = app.t(word, count);
    toast.classList.toggle("warn", WARNINGS.has(word));
    toast.hidden = false;
    clearTimeout(flashTimer);
    flashTimer = setTimeout(() => (toast.hidden = true), ms);
  }

  function rewordToast() {
    if (flashWord && !$("#toast").hidden) $("#toast").textContent = app.t(...flashWord);
  }

  // `counts`: the outbox's, as queue.counts gives them; `others`: findings of other participants
  // this tablet holds for the walk.
  function showCounts(counts, others) {
    const t = app.t;
    const waiting = counts.observations + counts.withdrawals + (counts.corrections || 0);
    const counter = $("#sync-count");
    counter.dataset.count = String(waiting);
    counter.dataset.photos = String(counts.photos);
    // "All synced" only once the photos are up too: a participant who sees it closes the app.
    let status = t("all_synced");
    if (app.walkGone && counts.observations) status = t("kept_on_tablet", counts.observations);
    else if (waiting) status = t("waiting", waiting);
    else if (counts.photos) status = t("photos_only", counts.photos);
    if (counter.textContent !== status) counter.textContent = status; // announced once, not per refresh
    counter.classList.toggle("pending", waiting + counts.photos > 0);
    $("#photo-count").textContent = waiting && counts.photos ? t("photos_waiting", counts.photos) : "";
    $("#others-waiting").textContent = others ? t("others_waiting", others) : "";
  }

  // Whether anything waits to go out, as the bar last showed it.
  function somethingWaits() {
    const { count, photos } = $("#sync-count").dataset;
    return Number(count) + Number(photos) > 0;
  }

  return { hint, flash, rewordToast, showCounts, somethingWaits };
}
