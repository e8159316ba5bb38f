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
// Forms that delete for good ask first (their data-confirm is the question).
for (const form of document.querySelectorAll("form[data-confirm]")) {
  form.addEventListener("submit", (event) => {
    if (!window.confirm(form.dataset.confirm)) event.preventDefault();
  });
}
