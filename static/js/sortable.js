// Tables whose columns sort: a button in each header marked data-sort ("number" or "text")
// orders the rows by that column's cells (their data-value, else their text), ascending, then
// descending on a second press; the header says which (aria-sort), and printing follows the
// order on screen. Cells without a value go last either way.
export function sortable(table) {
  const headers = [...table.tHead.rows[0].cells];
  for (const [column, th] of headers.entries()) {
    if (!th.dataset.sort) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "sort";
    button.append(...th.childNodes);
    th.append(button);
    button.addEventListener("click", () => {
      const descending = th.getAttribute("aria-sort") === "ascending";
      for (const other of headers) other.removeAttribute("aria-sort");
      th.setAttribute("aria-sort", descending ? "descending" : "ascending");
      sortRows(table.tBodies[0], column, th.dataset.sort, descending);
    });
  }
}

function sortRows(body, column, kind, descending) {
  const valueOf = (row) => {
    const cell = row.cells[column];
    const value = (cell.dataset.value ?? cell.textContent).trim();
    return kind === "number" && value !== "" ? Number(value) : value;
  };
  const rows = [...body.rows].map((row) => ({ row, value: valueOf(row) }));
  const collator = new Intl.Collator(document.documentElement.lang, { numeric: true });
  rows.sort((a, b) => {
    if (a.value === "" || b.value === "") return (a.value === "") - (b.value === "");
    const order = kind === "number" ? a.value - b.value : collator.compare(a.value, b.value);
    return descending ? -order : order;
  });
  body.append(...rows.map(({ row }) => row));
}

for (const table of document.querySelectorAll("table[data-sortable]")) sortable(table);
