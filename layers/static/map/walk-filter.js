// The planner map's walk filter: walks are chosen one by one, each shown as a chip with a button
// that removes it, so a planner can compare walks (the same route by day and by night, this
// year's against last year's). An area walked twice a week has hundreds of walks: the list offers
// the latest and finds any by a part of its name (or its date) typed above it; Enter takes the
// first found.

export const WALKS_LISTED = 50;
// The most walks one address of the tiles and the exports takes (tiles/filters.py WALK_IDS).
export const MOST_WALKS = 50;

export const walkLabel = (walk) => `${walk.date} · ${walk.name}`;

// The walk ids of a `walk=` value ("12,14"), each once, in their order.
export const walkIds = (value) => [...new Set((value || "").split(",").filter(Boolean))];

// The filter's field: `walks` the walks offered (latest first), `chosen` the ids chosen, `named`
// how many the page's address named when they were more than MOST_WALKS (0 otherwise); `onchange`
// gets the ids chosen whenever one is added or removed. `el` and `t` are the map's own.
export function walkFilter({ walks, chosen, named = 0, el, t, onchange }) {
  const byId = new Map(walks.map((w) => [String(w.id), w]));
  let ids = chosen.filter((id) => byId.has(id));
  const search = el("input", { type: "search", name: "walk-search", autocomplete: "off", placeholder: t("walkSearch"), "aria-label": t("walkSearch") });
  const list = el("select", { name: "walk", "aria-label": t("walkAdd") });
  const chips = el("ul", { class: "walk-chips", "aria-label": t("walksChosen") });
  const status = el("p", { class: "note", id: "walks-status", role: "status" });

  const found = () => {
    const words = search.value.trim().toLowerCase().split(/\s+/).filter(Boolean);
    return walks.filter((w) => words.every((word) => `${w.date} ${w.name}`.toLowerCase().includes(word)));
  };
  const fill = () => {
    const all = found();
    list.replaceChildren(
      el("option", { value: "" }, t("walkAdd")),
      // A walk chosen already stays in its place, not to be chosen twice.
      ...all.slice(0, WALKS_LISTED).map((w) => {
        const on = ids.includes(String(w.id));
        return el("option", { value: String(w.id), disabled: on }, on ? `✓ ${walkLabel(w)}` : walkLabel(w));
      }),
      ...(all.length > WALKS_LISTED ? [el("option", { disabled: true, value: "-" }, t("walksMore", { n: all.length - WALKS_LISTED }))] : []));
  };
  const renderChosen = () => {
    chips.hidden = !ids.length;
    chips.replaceChildren(...ids.map((id) => {
      const label = walkLabel(byId.get(id));
      return el("li", { class: "walk-chip", "data-walk": id },
        el("span", { class: "walk-chip-name" }, label),
        el("button", { type: "button", class: "walk-chip-remove", "aria-label": t("walkRemove", { walk: label }), onclick: () => remove(id) }, "✕"));
    }));
    const full = ids.length >= MOST_WALKS;
    status.classList.toggle("full", full);
    // An address naming more walks than the map takes: it says which are shown until they change.
    status.textContent = !ids.length
      ? t("walksAll")
      : named ? t("walksCut", { max: MOST_WALKS, n: ids.length, m: named })
        : full ? t("walksFull", { max: MOST_WALKS }) : t("walksCount", { n: ids.length, max: MOST_WALKS });
  };
  const changed = () => {
    named = 0;
    fill();
    renderChosen();
    onchange([...ids]);
  };
  const add = (id) => {
    // When full, nothing is added: the status under the chips says why.
    if (!byId.has(id) || ids.includes(id) || ids.length >= MOST_WALKS) return;
    ids = [...ids, id];
    changed();
  };
  const remove = (id) => {
    const at = ids.indexOf(id);
    ids = ids.filter((other) => other !== id);
    changed();
    // The focus goes to the chip that took its place (or the one before), else to the list.
    const buttons = chips.querySelectorAll(".walk-chip-remove");
    (buttons[Math.min(at, buttons.length - 1)] || list).focus();
  };

  // Arrow keys on a closed list change its value (and say so) at each walk they pass: a walk is
  // added by Enter, or by a pick in the opened list or with the pointer. The change a key makes
  // comes while the key is handled, before the timeout clears the mark.
  let keyed = false;
  list.addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      event.preventDefault();
      return add(list.value);
    }
    keyed = true;
    setTimeout(() => (keyed = false));
  });
  list.addEventListener("change", () => {
    if (keyed) return;
    add(list.value);
    list.value = "";
  });
  search.addEventListener("input", fill);
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    // The first found not chosen yet: Enter again adds the next (a route's day and night walks).
    const first = found().find((w) => !ids.includes(String(w.id)));
    if (first) add(String(first.id));
  });
  fill();
  renderChosen();
  return el("div", { class: "field walk-filter", role: "group", "aria-labelledby": "walk-filter-label" },
    el("span", { id: "walk-filter-label" }, t("walk")), search, list, chips, status);
}
