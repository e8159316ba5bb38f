// The capture app's list of what the server did not take: findings it refused, each with its
// reasons, Dismiss and, where the participant can put it right on the tablet, Fix; photos it
// refused; corrections it refused (the finding stays as the server has it); and the findings
// of a walk gone from the server, which stay on the tablet (My walks hands them over to the
// coordinator).

// Fields a participant can change in the app: the shape on the map, the kind, the answers.
// A refusal for anything else (the time it was captured, the walk being done) stays one.
const FIXABLE = new Set(["geometry", "kind", "severity", "feeling", "note"]);

export function fixable(item) {
  const fields = Object.keys(item.errors || {});
  return !item.photo && fields.length > 0 && fields.every((name) => FIXABLE.has(name));
}

export function reasonsOf(item) {
  return Object.values(item.errors || {})
    .flat()
    .join(" ");
}

function button(text, action) {
  const element = Object.assign(document.createElement("button"), { type: "button", textContent: text });
  element.addEventListener("click", action);
  return element;
}

// `say`: the app's translator; `describe(item)`: "time · kind" or the kind alone.
export function renderRefused(list, { rejected, stranded, say, describe, onDismiss, onFix }) {
  const total = rejected.length + stranded.length;
  list.hidden = total === 0;
  list.replaceChildren();
  if (!total) return;
  const title = Object.assign(document.createElement("strong"), { id: `${list.id}-title` });
  title.textContent = say("needs_attention", total);
  list.setAttribute("aria-labelledby", title.id); // a landmark a screen reader jumps to
  list.append(title);
  if (stranded.length) {
    const why = Object.assign(document.createElement("p"), { className: "walk-gone" });
    why.textContent = say("walk_gone", stranded.length);
    list.append(why);
  }
  for (const item of stranded) {
    const row = Object.assign(document.createElement("div"), { className: "rejected-item stranded" });
    row.textContent = describe(item, true);
    list.append(row);
  }
  for (const item of rejected) {
    const row = Object.assign(document.createElement("div"), { className: "rejected-item" });
    const text = document.createElement("span");
    const what = describe(item, false);
    const whose = item.photo ? "its_photo" : item.correction ? "its_correction" : null;
    text.textContent = whose ? `${what}, ${say(whose)}: ${reasonsOf(item)}` : `${what}: ${reasonsOf(item)}`;
    const actions = Object.assign(document.createElement("span"), { className: "rejected-actions" });
    if (fixable(item)) actions.append(button(say("fix"), () => onFix(item)));
    actions.append(button(say("dismiss"), () => onDismiss(item)));
    row.append(text, actions);
    list.append(row);
  }
}
