// Findings already saved: what one says when its dot is tapped (or which one, when a tap covers
// several), correcting (Edit) or withdrawing one's own, and the participant's own findings as a
// list (My findings), the synced and the waiting alike.
import { $, clockTime } from "./dom.js";
import { asFinding, csrfToken } from "./sync.js";

// How a finding to choose from is pictured: its shape, in its colour on the map.
const SHAPE_CLASSES = { Point: "point", LineString: "line", Polygon: "area" };

// The stored finding's photos, as thumbnails: the participant sees that theirs arrived. The map
// hands nested properties over as JSON text. Offline, a thumbnail not seen before cannot load,
// and goes rather than show as broken. `remove(photo, shown)`, on one's own finding while the
// walk is open: each photo has a Remove button.
// How long a photo's Remove waits for its second tap.
const REMOVE_ARMED_MS = 4000;

function photoStrip(finding, t, remove = null) {
  const strip = document.createElement("div");
  strip.className = "finding-photos";
  let photos = [];
  try {
    photos = typeof finding.photos === "string" ? JSON.parse(finding.photos) : finding.photos || [];
  } catch (error) {
    photos = [];
  }
  for (const photo of photos) {
    const image = Object.assign(document.createElement("img"), {
      src: photo.thumbnail_url,
      alt: t("photo"),
    });
    if (!remove) {
      image.addEventListener("error", () => image.remove());
      strip.append(image);
      continue;
    }
    const shown = document.createElement("figure");
    const button = Object.assign(document.createElement("button"), {
      type: "button",
      className: "secondary",
      textContent: t("remove_photo"),
    });
    // Two taps, as withdrawing a finding takes two: a photo removed is gone from the server,
    // and a gloved thumb brushing the button must not do it. The first tap arms it for a while.
    let armed = null;
    button.addEventListener("click", () => {
      if (armed) {
        clearTimeout(armed);
        armed = null;
        remove(photo, shown);
        return;
      }
      button.textContent = t("remove_photo_again");
      button.classList.add("danger");
      armed = setTimeout(() => {
        armed = null;
        button.textContent = t("remove_photo");
        button.classList.remove("danger");
      }, REMOVE_ARMED_MS);
    });
    image.addEventListener("error", () => shown.remove());
    shown.append(image, button);
    strip.append(shown);
  }
  return strip;
}

// `justSent`: the sync's findings the server has just taken; `flash` is the status bar's;
// `focusKind` puts the focus back on the kinds bar; `withdrawn()` shows and sends the outbox
// once a finding is withdrawn; `edit(finding)` opens the sheet on one to correct (sheet.js).
export function savedFindings(app, map, { justSent, flash, focusKind, withdrawn, edit }) {
  const { queue, queueKey } = app;
  let shown = null; // the properties of the finding the sheet shows
  let choices = null; // the findings under a tap, while the participant picks one

  // The findings under a tap (findingsAt): one opens at once; several are listed to choose from,
  // as a thumb covers more than one dot and only the topmost could be read.
  function showAt(found) {
    if (found.length < 2) {
      show(found[0] || null);
      return;
    }
    close();
    choices = found;
    $("#here-list").replaceChildren(...found.map(choice));
    $("#here").hidden = false;
    $("#here-title").focus({ preventScroll: true });
  }

  // A finding in that list: its shape in its colour, its kind, when, how serious, and whether
  // it still waits on the tablet.
  function choice(finding) {
    const t = app.t;
    const facts = [clockTime(finding.captured_at, app.language)];
    if (finding.severity) facts.push(`${t("severity_is")} ${t("of_five", finding.severity)}`);
    if (finding.queued) facts.push(t("not_synced"));
    const swatch = document.createElement("span");
    swatch.className = `swatch ${SHAPE_CLASSES[finding.shape] || "point"}`;
    swatch.classList.toggle("positive", finding.positive === true);
    swatch.classList.toggle("queued", finding.queued === true);
    swatch.setAttribute("aria-hidden", "true");
    const what = document.createElement("span");
    what.append(
      Object.assign(document.createElement("strong"), { textContent: app.label(app.kindOf(finding.kind)) }),
      Object.assign(document.createElement("span"), { className: "facts", textContent: facts.join(" · ") }),
    );
    const open = Object.assign(document.createElement("button"), { type: "button" });
    open.append(swatch, what);
    open.addEventListener("click", () => show(finding));
    const item = document.createElement("li");
    item.append(open);
    return item;
  }

  function show(finding) {
    const t = app.t;
    close();
    if (!finding) return;
    shown = finding;
    $("#finding-title").textContent = app.label(app.kindOf(finding.kind));
    const facts = [clockTime(finding.captured_at, app.language)];
    if (finding.mine === true) facts.push(t("yours"));
    if (finding.queued) facts.push(t("not_synced"));
    const details = [facts.join(" · ")];
    if (finding.severity) details.push(`${t("severity_is")} ${t("of_five", finding.severity)}`);
    if (finding.feeling) details.push(`${t("feeling_is")} ${t("of_five", finding.feeling)}`);
    if (finding.note) details.push(finding.note);
    const own = finding.mine === true && app.config.walk.open && !app.config.preview;
    $("#finding-details").replaceChildren(
      ...details.map((text) => Object.assign(document.createElement("p"), { textContent: text })),
      photoStrip(finding, t, own && app.config.urls.photo ? removePhoto : null),
    );
    $("#withdraw").hidden = !own;
    $("#edit").hidden = !own || Boolean(app.walkGone) || app.offWalk;
    $("#finding").hidden = false;
    $("#finding-title").focus({ preventScroll: true });
  }

  // One of one's own photos removed from the server (the wrong one): online only, as it is
  // already there; the finding's other photos and fields stay.
  async function removePhoto(photo, figure) {
    let response = null;
    try {
      if (navigator.onLine) {
        response = await fetch(app.config.urls.photo.replace("{id}", String(photo.id)), {
          method: "DELETE",
          credentials: "same-origin",
          headers: { "X-CSRFToken": csrfToken() },
        });
      }
    } catch (error) {
      console.warn("photo not removed", error);
    }
    if (!response) {
      flash("photo_remove_offline", 6000);
    } else if (response.ok || response.status === 404) {
      figure.remove();
      flash("photo_removed");
      map.getSource("stored").setData(`${app.config.urls.observations}?t=${Date.now()}`);
    } else {
      flash("photo_not_removed", 6000);
    }
  }

  function close() {
    shown = null;
    choices = null;
    $("#finding").hidden = true;
    $("#finding").classList.remove("confirming");
    $("#here").hidden = true;
  }

  // The finding shown, whole, to correct: its geometry (the map's features give their
  // properties only) and what it is now, from the outbox if it waits there (corrected or
  // not), else from what was just sent or the server's copy (with the server's id).
  async function whole(finding) {
    const { client_id: clientId } = finding;
    const ofIt = (items) => items.find((item) => item.client_id === clientId);
    const pending = ofIt(await queue.pending(queueKey));
    const queued = pending || ofIt(await queue.corrections(queueKey));
    const stored = (await map.getSource("stored").getData()).features || [];
    const feature = stored.find((f) => f.properties.client_id === clientId);
    const base = queued ? asFinding(queued) : justSent.get(clientId) || { ...feature?.properties, geometry: feature?.geometry };
    const id = feature?.id ?? queued?.id ?? null;
    return { ...finding, ...base, id, inOutbox: Boolean(pending), mine: true };
  }

  // The participant's findings: on the server, just sent, and still in the outbox, oldest first.
  // A correction waiting to be sent shows what the finding will be.
  async function mine() {
    const stored = await map.getSource("stored").getData();
    const withdrawals = new Set((await queue.withdrawals(queueKey)).map((w) => w.client_id));
    const waiting = (items) =>
      items.map((item) => {
        const { geometry, ...finding } = asFinding(item);
        return { ...finding, mine: true, queued: true };
      });
    const queued = waiting(await queue.pending(queueKey));
    const corrected = waiting(await queue.corrections(queueKey));
    const synced = (stored.features || [])
      .map((f) => f.properties)
      .filter((o) => o.mine === true && !withdrawals.has(o.client_id));
    synced.forEach((o) => justSent.delete(o.client_id));
    const refused = new Set((await queue.rejected(queueKey)).map((r) => r.client_id));
    const arrived = [...justSent.values()].filter((o) => !refused.has(o.client_id) && !withdrawals.has(o.client_id));
    const byId = new Map();
    // A correction waiting first: it is newer than the server's copy.
    for (const o of [...corrected, ...synced, ...arrived, ...queued]) if (!byId.has(o.client_id)) byId.set(o.client_id, o);
    return [...byId.values()].sort((a, b) => a.captured_at.localeCompare(b.captured_at));
  }

  async function openMine() {
    close();
    const items = (await mine()).map((finding) => {
      const open = Object.assign(document.createElement("button"), {
        type: "button",
        textContent: `${clockTime(finding.captured_at, app.language)} · ${app.label(app.kindOf(finding.kind))}`,
      });
      open.addEventListener("click", () => {
        closeMine();
        show(finding);
      });
      const item = document.createElement("li");
      item.append(open);
      return item;
    });
    if (!items.length) items.push(Object.assign(document.createElement("li"), { textContent: app.t("no_findings") }));
    $("#mine-list").replaceChildren(...items);
    $("#mine").hidden = false;
    $("#mine-button").setAttribute("aria-expanded", "true");
    $("#mine-title").focus({ preventScroll: true });
  }

  function closeMine() {
    $("#mine").hidden = true;
    $("#mine-button").setAttribute("aria-expanded", "false");
  }

  for (const button of ["#finding-close", "#here-close"]) {
    $(button).addEventListener("click", () => {
      close();
      focusKind(null);
    });
  }
  $("#edit").addEventListener("click", async () => {
    if (!shown) return;
    const finding = await whole(shown);
    close();
    if (finding.geometry) edit(finding);
  });
  $("#withdraw").addEventListener("click", () => {
    $("#finding").classList.add("confirming");
    $("#withdraw-keep").focus();
  });
  $("#withdraw-keep").addEventListener("click", () => {
    $("#finding").classList.remove("confirming");
    $("#withdraw").focus();
  });
  $("#withdraw-confirm").addEventListener("click", async () => {
    if (!shown) return;
    await queue.withdraw(queueKey, shown.client_id);
    justSent.delete(shown.client_id);
    close();
    focusKind(null);
    flash("withdrawn");
    await withdrawn();
  });
  $("#mine-button").addEventListener("click", () => ($("#mine").hidden ? openMine() : closeMine()));
  $("#mine-close").addEventListener("click", () => {
    closeMine();
    $("#mine-button").focus();
  });

  return {
    showAt,
    close,
    closeMine,
    // Escape closes what is open, the list before a finding's details. False: nothing was.
    closeOpen() {
      if (!$("#mine").hidden) $("#mine-close").click();
      else if (!$("#here").hidden) $("#here-close").click();
      else if (!$("#finding").hidden) close();
      else return false;
      return true;
    },
    // The language was switched: the finding shown, or those to choose from, say it again in
    // the new one.
    reword() {
      if (shown) show(shown);
      else if (choices) showAt(choices);
    },
  };
}
