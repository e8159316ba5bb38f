// Sending the outbox: findings in batches, then their photos, corrections, then withdrawals; backing off
// while the server cannot be reached; what the server's refusals mean for this page (signed out,
// taken off the walk, the walk gone or closed); and the connection's state in the bar.
import { $ } from "./dom.js";

const BATCH = 100;
const MAX_BACKOFF_S = 60;

// An outbox item as the finding it is, without the outbox's own bookkeeping.
export function asFinding({ walk, queued_at, sent, ...finding }) {
  return finding;
}

export function csrfToken() {
  const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
  return match ? decodeURIComponent(match[1]) : "";
}

function post(url, body, headers = {}) {
  return fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "X-CSRFToken": csrfToken(), ...headers },
    body,
  });
}

// What a correction sends: the fields a participant may change (the server refuses others).
export function correctionOf({ kind, geometry, severity, feeling, note }) {
  return { kind, geometry, severity, feeling, note };
}

// What the server said, per field, in its words (it answers in the app's language), else
// `fallback` (under "detail", as the server's own refusals of a whole request).
async function refusalErrors(response, fallback) {
  let body = {};
  try {
    body = await response.json();
  } catch {
    // not JSON: a proxy's or the web server's own page
  }
  const errors = {};
  for (const [field, value] of Object.entries(body && typeof body === "object" ? body : {})) {
    const reasons = [value].flat().filter((v) => typeof v === "string");
    if (reasons.length) errors[field] = reasons;
  }
  return Object.keys(errors).length ? errors : { detail: [fallback] };
}

async function refusalReasons(response, t) {
  const fallback = t(response.status === 404 ? "photo_gone" : "photo_refused");
  return Object.values(await refusalErrors(response, fallback)).flat();
}

// `refresh()` shows the outbox anew; `flash` is the status bar's; `walkStopped()` and
// `walkClosed()` tell the sheet the walk takes no more findings (sheet.js). `app.walkGone` and
// `app.offWalk` are set here and read by the rest of the app.
export function outboxSync(app, { refresh, flash, somethingWaits, walkStopped, walkClosed }) {
  const { config, queue, queueKey } = app;
  // Findings the server has just taken, until the tablet's copy of the server's findings holds
  // them (it reloads once the outbox is empty): a list opened in between missed them.
  const justSent = new Map();
  let syncing = false;
  let failures = 0;
  let timer = null;
  // 401: the session ended (log in again); 403: no longer a participant of this walk. 0: none.
  let authProblem = 0;
  // Resolved once a sync has sent all that waited (the capture page prunes its offline copies
  // only then: capture.js).
  let markSynced;
  const synced = new Promise((resolve) => (markSynced = resolve));

  function syncSoon(seconds) {
    clearTimeout(timer);
    timer = setTimeout(sync, seconds * 1000);
  }

  function backoff() {
    failures += 1;
    const seconds = Math.min(MAX_BACKOFF_S, 2 ** Math.min(failures, 6)) + Math.random();
    $("#net").textContent = app.t("retry_in", Math.round(seconds));
    syncSoon(seconds);
  }

  // One tab of the app syncs a participant's outbox at a time: two tabs open on the same walk
  // both sent every photo (the server kept one, but the mobile data went twice). The other tab
  // only refreshes what it shows from the outbox.
  async function sync() {
    if (config.preview || app.walkGone) return refresh(); // a preview sends nothing
    if (!navigator.locks) return syncNow();
    return navigator.locks.request(`trygg-sync-${queueKey}`, { ifAvailable: true }, (lock) =>
      lock ? syncNow() : refresh(),
    );
  }

  async function syncNow() {
    if (syncing || app.walkGone) return;
    if (!navigator.onLine) {
      showNet();
      return;
    }
    syncing = true;
    authProblem = 0; // asked again each time: the participant may have logged in meanwhile
    $("#net").textContent = app.t("syncing");
    try {
      // Bounded: each round either empties a batch from the outbox or stops with a backoff.
      for (let round = 0; round < 1000; round++) {
        const batch = await queue.pending(queueKey, BATCH);
        if (!batch.length) break;
        const sent = batch.map(asFinding);
        await queue.markSent(sent.map((item) => item.client_id));
        // sent_at: this tablet's clock now, so the server can set right the times of a tablet
        // whose clock is wrong (they would be refused as "in the future", or stored hours off).
        const payload = { observations: sent, sent_at: new Date().toISOString() };
        const response = await post(config.urls.sync, JSON.stringify(payload), {
          "Content-Type": "application/json",
        });
        if (response.status === 401 || response.status === 403) {
          authProblem = response.status;
          // Taken off the walk or out of its area: new findings could never be sent either.
          if (response.status === 403 && !app.offWalk) {
            app.offWalk = true;
            walkStopped();
            flash("not_participant", 12000);
          }
          break;
        }
        // 404: the walk is gone (a deletion racing this sync waits for it and then answers 404).
        // Its findings stay in the outbox, listed as not accepted, and are not sent again from
        // this page: a retry cannot bring the walk back, and backing off for ever told the
        // participant nothing. Anything else, a 409 included, is passing: the outbox is sent
        // again after a pause.
        if (response.status === 404) {
          app.walkGone = response.status;
          walkStopped();
          break;
        }
        if (!response.ok) throw new Error(`sync answered ${response.status}`);
        const body = await response.json();
        if (body.walk_open === false) closed();
        sent.forEach((item) => justSent.set(item.client_id, { ...item, mine: true }));
        await queue.settle(queueKey, sent, body.results);
        await refresh();
      }
      failures = 0;
      if (app.walkGone) {
        // Nothing of this walk goes out any more (photos and withdrawals would only meet 404s).
        flash("walk_gone", 12000, (await queue.counts(queueKey)).observations);
        showNet();
        return;
      }
      if (authProblem) {
        // Signed out or off the walk: photos and withdrawals would only meet the same answer.
        showNet();
        return;
      }
      await uploadPhotos();
      await sendCorrections();
      await sendWithdrawals();
      showNet();
      if (!authProblem) markSynced();
    } catch (error) {
      console.warn("sync failed, backing off", error);
      backoff();
    } finally {
      syncing = false;
      await refresh();
    }
  }

  // Corrections go after the findings and photos they may concern (a finding corrected while
  // its sync was under way is on the server by then), in the order they were made, and before
  // withdrawals (a withdrawal after a correction has dropped it already: queue.js).
  async function sendCorrections() {
    for (const item of await queue.corrections(queueKey)) {
      const response = await fetch(config.urls.withdraw.replace("{client_id}", item.client_id), {
        method: "PATCH",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Content-Type": "application/json" },
        body: JSON.stringify(correctionOf(item)),
      });
      if (response.ok || response.status === 404) {
        // 404: the server never had it (the outbox sent it as corrected), or it was deleted.
        await queue.corrected(item.client_id);
        const sent = justSent.get(item.client_id);
        if (sent) justSent.set(item.client_id, { ...sent, ...correctionOf(item) });
      } else if ([400, 403, 409].includes(response.status)) {
        // Not taken (a shape the server finds wrong, no longer the author's to change, the walk
        // closed meanwhile): listed as a refused finding, with the server's reasons.
        await queue.refuseCorrection(item, await refusalErrors(response, app.t("correction_refused")));
        if (response.status === 409) closed();
      } else if (response.status === 401) {
        authProblem = response.status;
        return;
      } else {
        throw new Error(`correction answered ${response.status}`);
      }
    }
  }

  // Withdrawals go after the findings and photos they may concern, so a finding whose sync was
  // under way when its author withdrew it is on the server by then and goes.
  async function sendWithdrawals() {
    for (const { client_id: clientId } of await queue.withdrawals(queueKey)) {
      const response = await fetch(config.urls.withdraw.replace("{client_id}", clientId), {
        method: "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken() },
      });
      if (response.ok || response.status === 404) {
        // 404: it never reached the server, or an earlier attempt removed it.
        await queue.withdrawn(clientId);
      } else if (response.status === 409) {
        // The walk was closed meanwhile: the finding stays, and shows again.
        await queue.withdrawn(clientId);
        flash("withdraw_refused", 6000);
        closed();
      } else if (response.status === 401 || response.status === 403) {
        authProblem = response.status;
        return;
      } else {
        throw new Error(`withdrawal answered ${response.status}`);
      }
    }
  }

  async function uploadPhotos() {
    for (const photo of await queue.photosReady(queueKey)) {
      const form = new FormData();
      form.append("image", photo.blob, photo.name);
      const response = await post(config.urls.photos.replace("{id}", String(photo.observation_id)), form);
      if (response.ok) {
        await queue.dropPhoto(photo.key);
      } else if ([400, 404, 409, 413].includes(response.status)) {
        // The server will never take this photo (not an image, too large, or its finding is
        // gone): keeping it would block the queue, dropping it silently would lose it unseen.
        await queue.refusePhoto(photo, await refusalReasons(response, app.t));
      } else if (response.status === 401 || response.status === 403) {
        // Signed out, or no longer on the walk: said in the bar, not retried without end (which
        // also held back the withdrawals queued after the photos).
        authProblem = response.status;
        return;
      } else {
        throw new Error(`photo upload answered ${response.status}`);
      }
    }
  }

  // The walk was marked done while this page was open.
  function closed() {
    if (!config.walk.open) return;
    config.walk.open = false;
    walkClosed();
  }

  function showNet() {
    const t = app.t;
    const net = $("#net");
    net.classList.toggle("offline", !navigator.onLine);
    if (authProblem === 401) {
      // The installed app has no address bar: the way to the login page is here.
      const login = document.createElement("a");
      login.href = config.urls.login;
      login.textContent = t("log_in_again");
      net.replaceChildren(login);
      return;
    }
    if (app.walkGone) {
      net.textContent = t("walk_gone_short");
      return;
    }
    net.textContent = authProblem === 403 ? t("not_participant") : navigator.onLine ? t("online") : t("offline");
  }

  // Sends what waits now, when the connection returns, and on a slow heartbeat.
  function start() {
    if (config.preview) return;
    addEventListener("online", () => {
      // A walk gone from the server stays gone: no request for it when the connection returns.
      if (app.walkGone) return;
      failures = 0;
      authProblem = 0;
      showNet();
      syncSoon(0);
    });
    addEventListener("offline", showNet);
    syncSoon(0);
    // The heartbeat catches a connection that came back without an "online" event. It also
    // retries after a 401: the participant may have logged in again in another tab.
    setInterval(() => {
      if (!syncing && navigator.onLine && somethingWaits()) sync();
    }, 30000);
  }

  return { start, syncSoon, showNet, justSent, synced };
}
