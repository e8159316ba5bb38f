// Making a finding: the bar of kinds that starts one, the sheet that asks about it (how serious,
// how safe it feels, a note, a photo) and saves it to the outbox, Cancel, a finding the server
// refused brought back to be put right, and one's own finding corrected (Edit). Its pins are
// drawing.js's.
import { $, pressed } from "./dom.js";
import { geometryMode } from "./drawing.js";
import { reasonsOf } from "./refused.js";

// The server takes photos up to 15 MB; a camera's can be larger. Rather than refuse it after
// the walk, when the scene cannot be photographed again, the tablet shrinks it to 4,096 pixels
// across as a JPEG (the server keeps no more than that anyway).
const MAX_PHOTO_BYTES = 15 * 1024 * 1024;

async function fitPhoto(file) {
  if (!file || file.size <= MAX_PHOTO_BYTES) return file;
  try {
    const bitmap = await createImageBitmap(file); // upright, by its EXIF orientation
    const scale = Math.min(1, 4096 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement("canvas");
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    const blob = await new Promise((done) => canvas.toBlob(done, "image/jpeg", 0.85));
    const name = `${file.name.replace(/\.[^.]*$/, "")}.jpg`;
    return blob ? new File([blob], name, { type: "image/jpeg" }) : file;
  } catch (error) {
    console.warn("photo kept as taken", error); // the server will say what is wrong with it
    return file;
  }
}

function newClientId() {
  if (crypto.randomUUID) return crypto.randomUUID();
  // Plain-http deployments are not a secure context; build a v4 UUID by hand there.
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = [...b].map((x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// The severity and feeling chosen, shown on their scales (none chosen: null).
function showAnswers(answers) {
  document.querySelectorAll(".scale").forEach((scale) => {
    scale.querySelectorAll("button").forEach((b) => pressed(b, Number(b.value) === answers[scale.dataset.field]));
  });
}

// Back to where the participant was, not to the top of the page (the sheet is gone).
export function focusKind(code) {
  const button = (code && $(`.kind[data-kind="${code}"]`)) || $(".kind");
  button?.focus({ preventScroll: true });
}

// `drawing`: the finding's pins (drawing.js); `status`: the hint and toasts; `accuracy()`: the
// GPS's, recorded with a new finding; `saved()`: the outbox has a new finding; `closeOthers()`:
// shuts what shows a saved finding, as a finding is started.
export function findingSheet(app, { drawing, status, accuracy, saved, closeOthers }) {
  const { hint, flash } = status;
  // Fix brings a refused finding back as the finding being drafted: its pins where it was put,
  // its answers in the sheet, the server's reasons above them. Saved, it takes the place of its
  // refusal in the outbox under the same client_id: the server stored nothing under that id, so
  // it stores the finding put right (and a lost answer still only makes a harmless duplicate).
  // Edit brings a saved finding of one's own back the same way, its pins to drag (a pin placed
  // 20 m off); saved, it is corrected where it waits (queue.correct): in the outbox if it never
  // went out, else as a correction sent after it (`edit`, or a refused `correction` put right).
  let correcting = null; // the refused or saved finding being put right
  // A cold or gloved thumb taps twice: the second tap must not save the finding again.
  let saving = false;

  // What the hint says with no finding being placed: nothing to choose when nothing can be sent.
  function idleHint() {
    if (app.walkGone) return "walk_gone_short";
    if (app.offWalk) return "not_participant";
    return app.config.walk.open ? "choose_kind" : "walk_closed";
  }

  function renderKinds() {
    const bar = $("#kinds");
    bar.replaceChildren();
    // A walk marked done takes no new findings (the server refuses them); what was captured
    // during it still goes out. Nor does a walk gone from the server, or one its participant
    // was taken off.
    const closed = !app.config.walk.open || Boolean(app.walkGone) || app.offWalk;
    // Greyed-out kinds take no focus, so the bar does: a keyboard still scrolls through them.
    if (closed) bar.tabIndex = 0;
    else bar.removeAttribute("tabindex");
    for (const kind of app.config.kinds) {
      const button = document.createElement("button");
      button.className = `kind ${kind.positive ? "positive" : "negative"}`;
      button.dataset.kind = kind.code;
      button.textContent = app.label(kind);
      button.setAttribute("aria-pressed", "false");
      if (geometryMode(kind) === "sightline") button.classList.add("line");
      button.addEventListener("click", () => start(kind.code));
      button.disabled = closed;
      bar.append(button);
    }
  }

  function start(code) {
    const fixing = correcting; // a kind tapped while fixing a refused finding is its new kind
    cancel();
    closeOthers();
    document.querySelectorAll(".kind").forEach((b) => pressed(b, b.dataset.kind === code, "active"));
    drawing.start(app.kindsByCode[code]);
    if (fixing) restore(fixing);
  }

  function open() {
    const kind = drawing.current().kind;
    hint(app.t(drawing.adjustWord()));
    $("#sheet-title").textContent = app.label(kind);
    // "How serious?" means nothing for a safe place or a meeting place.
    $('.scale[data-field="severity"]').closest(".field").hidden = kind.positive;
    $("#sheet").hidden = false;
    drawing.showShapes();
    drawing.keepInView();
    $("#sheet-title").focus({ preventScroll: true });
  }

  function cancel() {
    drawing.clear();
    correcting = null;
    $("#sheet-why").hidden = true;
    $("#photo").closest(".field").hidden = false;
    document.querySelectorAll(".kind").forEach((b) => pressed(b, false, "active"));
    $("#sheet").hidden = true;
    $("#note").value = "";
    $("#photo").value = "";
    showAnswers({});
    drawing.showShapes();
    hint(app.t(idleHint()));
  }

  function fix(item) {
    correcting = item;
    if (app.kindsByCode[item.kind]) start(item.kind);
    else {
      // A kind this page no longer offers: what the finding is must be chosen again first.
      cancel();
      correcting = item;
      hint(app.t("choose_other_kind"));
    }
  }

  // One's own saved finding, to correct: `finding` as the map shows it, with its geometry.
  function edit(finding) {
    fix({ ...finding, edit: true });
  }

  function restore(item) {
    correcting = item;
    const draft = drawing.current();
    draft.severity = item.severity ?? null;
    draft.feeling = item.feeling ?? null;
    showAnswers(draft);
    $("#note").value = item.note || "";
    $("#sheet-why").textContent = reasonsOf(item);
    $("#sheet-why").hidden = item.edit === true;
    // A photo added to a finding the server has goes to it by the server's id: without it
    // (an answer not yet read back), the photo field waits for the next Edit.
    $("#photo").closest(".field").hidden = (item.edit || item.correction) && !item.inOutbox && !item.id;
    if (drawing.redraw(item.geometry)) open();
  }

  async function save() {
    if (!drawing.shapeComplete()) {
      drawing.hintForDraft(); // a pin dragged since: the area's outline now crosses itself
      return;
    }
    // Outside the area the server refuses it, which an offline tablet learns only later: say so
    // now, with the sheet kept, so the pin can be moved inside the dashed line.
    const outside = drawing.metresOutside();
    if (outside > app.config.walk.tolerance_m) {
      flash("outside_area", 8000, Math.round(outside));
      return;
    }
    const draft = drawing.current();
    if (app.config.preview) {
      // Placed and checked as on the walk, then let go: a preview keeps nothing.
      cancel();
      focusKind(draft.kind.code);
      flash("preview_not_kept", 6000);
      return;
    }
    const observation = {
      client_id: correcting?.client_id ?? newClientId(),
      kind: draft.kind.code,
      geometry: drawing.geometry(),
      severity: draft.severity,
      feeling: draft.feeling,
      note: $("#note").value.trim(),
      // A refused finding put right was still seen when it was captured, from where it was.
      captured_at: correcting?.captured_at ?? new Date().toISOString(),
      accuracy_m: correcting ? (correcting.accuracy_m ?? null) : accuracy(),
    };
    const photo = await fitPhoto($("#photo").files[0] || null);
    const { queue, queueKey, walkAbout } = app;
    try {
      if (correcting?.edit || correcting?.correction) {
        const { id, photos } = correcting;
        await queue.correct(queueKey, { ...observation, id, photos }, photo, walkAbout);
      } else if (correcting) await queue.resend(queueKey, observation, photo, walkAbout);
      else await queue.add(queueKey, observation, photo, walkAbout);
    } catch (error) {
      // The tablet's storage is full (or the browser refused it): the sheet stays as it is, so
      // nothing typed is lost, and the participant is told rather than left with a dead Save.
      console.warn("could not store the finding", error);
      // Full storage, or the outbox closed under this page (a newer app opened in another tab).
      flash(error?.name === "QuotaExceededError" ? "not_stored" : "not_stored_reload", 10000);
      return;
    }
    cancel();
    focusKind(observation.kind);
    flash("saved");
    await saved();
  }

  document.querySelectorAll(".scale").forEach((scale) => {
    scale.addEventListener("click", (event) => {
      const button = event.target.closest("button");
      const draft = drawing.current();
      if (!button || !draft) return;
      draft[scale.dataset.field] = Number(button.value);
      scale.querySelectorAll("button").forEach((b) => pressed(b, b === button));
    });
  });

  $("#cancel").addEventListener("click", () => {
    const kind = drawing.current()?.kind.code;
    cancel();
    focusKind(kind);
  });

  $("#save").addEventListener("click", async () => {
    if (!drawing.current() || saving) return;
    saving = true;
    $("#save").disabled = true;
    try {
      await save();
    } finally {
      saving = false;
      $("#save").disabled = false;
    }
  });

  return {
    open,
    cancel,
    fix,
    edit,
    renderKinds,
    isFixing: (clientId) => correcting?.client_id === clientId,
    // The walk takes no more findings from this participant (gone, or they were taken off it).
    walkStopped() {
      renderKinds();
      if (drawing.current()) cancel();
      else hint(app.t(idleHint()));
    },
    // The walk was marked done while this page was open: new findings would be refused, so the
    // kinds grey out as on a page opened after the close.
    walkClosed() {
      renderKinds();
      if (!drawing.current()) hint(app.t("walk_closed"));
    },
    // The language was switched.
    reword() {
      renderKinds();
      const draft = drawing.current();
      if (draft) {
        const active = $(`.kind[data-kind="${draft.kind.code}"]`);
        if (active) pressed(active, true, "active");
        $("#sheet-title").textContent = app.label(draft.kind);
      } else hint(app.t(idleHint()));
    },
  };
}
