// The imports page's upload form: the format list offers what the chosen kind takes (crime has
// no "found from the file", so the first crime format is chosen for it), and only the options
// the chosen kind and format use are shown. A hidden option is also disabled, so what was typed
// in it before is not sent. Without this script every format and option is shown: the server
// refuses a format that does not fit, naming the ones that do, and leaves out the options the
// kind and format do not use, naming them (layers/pages.py).

const formatsOf = JSON.parse(document.getElementById("formats-of").textContent);
const optionsOf = JSON.parse(document.getElementById("options-of").textContent);
const kind = document.querySelector("select[name=kind]");
const format = document.querySelector("select[name=format]");
const delimiter = document.querySelector("select[name=delimiter]");
const delimiterOther = document.querySelector("[data-delimiter-other]");

function offerFormats() {
  const allowed = formatsOf[kind.value] || [];
  for (const option of format.options) {
    option.hidden = option.disabled = !allowed.includes(option.value || "auto");
  }
  if (format.selectedOptions[0]?.disabled) {
    format.value = [...format.options].find((option) => !option.disabled)?.value ?? "";
  }
}

// `hidden` takes a box out of the page, the tab order and what a screen reader reads.
function show(box, shown) {
  box.hidden = !shown;
  for (const input of box.querySelectorAll("input, select")) input.disabled = !shown;
}

function offerOptions() {
  const used = optionsOf[kind.value]?.[format.value || "auto"];
  for (const box of document.querySelectorAll("[data-option]")) {
    show(box, !used || used.includes(box.dataset.option));
  }
  if (delimiter && delimiterOther) {
    show(delimiterOther, !delimiter.disabled && delimiter.value === "other");
  }
}

if (kind && format) {
  kind.addEventListener("change", () => {
    offerFormats();
    offerOptions();
  });
  format.addEventListener("change", offerOptions);
  delimiter?.addEventListener("change", offerOptions);
  offerFormats();
  offerOptions();
}

// Browser tests wait for this before they use the form: the page's module scripts run after it
// is shown, and a choice made before they do would go unanswered until the next one.
document.body.dataset.ready = "true";
