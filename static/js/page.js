// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy can
// forbid inline script.
for (const form of document.querySelectorAll("form.lang")) {
  form.addEventListener("submit", () => {
    // Back to the page as it is now: a map's filters live in its address, which the page
    // changed after the form's `next` was written into it.
    const next = form.querySelector("input[name=next]");
    if (next) next.value = location.pathname + location.search + location.hash;
  });
}
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
// Forms that delete for good ask first (their data-confirm is the question). Listened for on the
// document, so forms a page's script puts in later ask too (the imports page's rows).
document.addEventListener("submit", (event) => {
  const form = event.target.closest("form[data-confirm]");
  if (form && !window.confirm(form.dataset.confirm)) event.preventDefault();
});
// Signing out forgets the pages and data the capture app keeps for offline use (a report, a
// walk's findings): on a tablet passed round, the next person must not read them offline. The
// outbox of findings not yet sent stays; it goes out under its author's name only.
for (const form of document.querySelectorAll("form.logout")) {
  form.addEventListener("submit", async (event) => {
    if (!window.caches || form.dataset.cleared) return;
    event.preventDefault();
    await caches.delete("trygg-data").catch(() => {});
    form.dataset.cleared = "1";
    form.submit();
  });
}
