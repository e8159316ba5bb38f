// Behaviour shared by every page, kept out of the HTML so the Content-Security-Policy can
// forbid inline script.
for (const select of document.querySelectorAll("form.lang select")) {
  select.addEventListener("change", () => select.form.submit());
}
for (const button of document.querySelectorAll("button[data-print]")) {
  button.addEventListener("click", () => window.print());
}
