// Dates on the planner map as every other page of Trygg writes them: in the page's language's
// SHORT_DATE_FORMAT (config.dateFormat, from config/formats): 2026-11-28 in English and Swedish,
// 28.11.2026 in Danish; times on the area's clock (config.timeZone), whatever the planner's
// device is set to, as the walk report prints them.

// An ISO date ("2026-11-28") in the page's format.
export function shortDate(iso, config) {
  const [Y, m, d] = iso.split("-");
  const parts = { Y, y: Y.slice(2), m, n: String(Number(m)), d, j: String(Number(d)) };
  return [...config.dateFormat].map((c) => parts[c] ?? c).join("");
}

// The day a moment falls on, on the area's clock, as an ISO date (Swedish writes dates so).
export function areaDay(moment, config) {
  return new Date(moment).toLocaleDateString("sv", { timeZone: config.timeZone });
}

// A moment (an ISO timestamp) as its day and 24-hour time on the area's clock: "2026-11-28 18:05".
export function shortDateTime(isoTime, config) {
  const time = new Date(isoTime).toLocaleTimeString("sv", {
    hour: "2-digit", minute: "2-digit", timeZone: config.timeZone,
  });
  return `${shortDate(areaDay(isoTime, config), config)} ${time}`;
}
