// Small page helpers the capture app's modules share.

export const $ = (selector) => document.querySelector(selector);

// A choice shown by colour is also told to screen readers.
export function pressed(button, on, className = "chosen") {
  button.classList.toggle(className, on);
  button.setAttribute("aria-pressed", String(on));
}

// When a finding was captured, as the participant's clock shows it ("14:05").
export function clockTime(isoTime, language) {
  return new Date(isoTime).toLocaleTimeString(language, { hour: "2-digit", minute: "2-digit" });
}
