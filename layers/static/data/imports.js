// The imports page's upload form: the format list offers what the chosen kind takes (crime has
// no "found from the file", so the first crime format is chosen for it). Without this script
// the server still refuses a format that does not fit, naming the ones that do.

const formatsOf = JSON.parse(document.getElementById("formats-of").textContent);
const kind = document.querySelector("select[name=kind]");
const format = document.querySelector("select[name=format]");

function offerFormats() {
  const allowed = formatsOf[kind.value] || [];
  for (const option of format.options) {
    option.hidden = option.disabled = !allowed.includes(option.value || "auto");
  }
  if (format.selectedOptions[0]?.disabled) {
    format.value = [...format.options].find((option) => !option.disabled)?.value ?? "";
  }
}

if (kind && format) {
  kind.addEventListener("change", offerFormats);
  offerFormats();
}
