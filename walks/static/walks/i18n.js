// The capture app's own words in English, Swedish and Danish. Kind labels come from the server
// (the taxonomy carries all three languages), so they are not repeated here.

export const LANGUAGES = { en: "English", sv: "Svenska", da: "Dansk" };

const WORDS = {
  en: {
    waiting: (n) => (n === 1 ? "1 waiting to sync" : `${n} waiting to sync`),
    all_synced: "All synced",
    photos_waiting: (n) => (n === 1 ? "+ 1 photo" : `+ ${n} photos`),
    online: "Online",
    offline: "Offline",
    syncing: "Syncing…",
    retry_in: (s) => `Retrying in ${s} s`,
    log_in_again: "Log in again to sync (nothing is lost).",
    choose_kind: "Choose what you see, then tap the map.",
    tap_point: "Tap the map where it is. Drag the pin to adjust.",
    tap_observer: "Sightline: tap where you stand…",
    tap_target: "…then tap what you cannot see.",
    adjust: "Drag the pins to adjust, then save.",
    severity: "How serious?",
    feeling: "How safe do you feel here?",
    feeling_low: "very unsafe",
    feeling_high: "very safe",
    note: "Note",
    note_placeholder: "What do you see? (optional)",
    photo: "Photo",
    save: "Save",
    cancel: "Cancel",
    saved: "Saved on this tablet.",
    my_position: "My position",
    no_gps: "No GPS position yet.",
    needs_attention: (n) => `${n} not accepted`,
    dismiss: "Dismiss",
    language: "Language",
    walk: "Walk",
  },
  sv: {
    waiting: (n) => `${n} väntar på synk`,
    all_synced: "Allt synkat",
    photos_waiting: (n) => (n === 1 ? "+ 1 foto" : `+ ${n} foton`),
    online: "Uppkopplad",
    offline: "Frånkopplad",
    syncing: "Synkar…",
    retry_in: (s) => `Försöker igen om ${s} s`,
    log_in_again: "Logga in igen för att synka (inget går förlorat).",
    choose_kind: "Välj vad du ser och tryck sedan på kartan.",
    tap_point: "Tryck på kartan där det är. Dra nålen för att justera.",
    tap_observer: "Skymd sikt: tryck där du står…",
    tap_target: "…och sedan på det du inte kan se.",
    adjust: "Dra nålarna för att justera och spara sedan.",
    severity: "Hur allvarligt?",
    feeling: "Hur trygg känner du dig här?",
    feeling_low: "mycket otrygg",
    feeling_high: "mycket trygg",
    note: "Anteckning",
    note_placeholder: "Vad ser du? (frivilligt)",
    photo: "Foto",
    save: "Spara",
    cancel: "Avbryt",
    saved: "Sparat på surfplattan.",
    my_position: "Min position",
    no_gps: "Ingen GPS-position ännu.",
    needs_attention: (n) => `${n} inte godtagna`,
    dismiss: "Ta bort",
    language: "Språk",
    walk: "Vandring",
  },
  da: {
    waiting: (n) => `${n} venter på synkronisering`,
    all_synced: "Alt synkroniseret",
    photos_waiting: (n) => (n === 1 ? "+ 1 foto" : `+ ${n} fotos`),
    online: "Online",
    offline: "Offline",
    syncing: "Synkroniserer…",
    retry_in: (s) => `Prøver igen om ${s} s`,
    log_in_again: "Log ind igen for at synkronisere (intet går tabt).",
    choose_kind: "Vælg hvad du ser, og tryk så på kortet.",
    tap_point: "Tryk på kortet, hvor det er. Træk nålen for at justere.",
    tap_observer: "Blokeret udsyn: tryk, hvor du står…",
    tap_target: "…og så på det, du ikke kan se.",
    adjust: "Træk nålene for at justere, og gem så.",
    severity: "Hvor alvorligt?",
    feeling: "Hvor tryg føler du dig her?",
    feeling_low: "meget utryg",
    feeling_high: "meget tryg",
    note: "Note",
    note_placeholder: "Hvad ser du? (valgfrit)",
    photo: "Foto",
    save: "Gem",
    cancel: "Annuller",
    saved: "Gemt på tabletten.",
    my_position: "Min position",
    no_gps: "Ingen GPS-position endnu.",
    needs_attention: (n) => `${n} ikke godkendt`,
    dismiss: "Fjern",
    language: "Sprog",
    walk: "Tryghedsvandring",
  },
};

export function translator(language) {
  const words = WORDS[language] || WORDS.en;
  return (key, ...args) => {
    const entry = words[key] ?? WORDS.en[key] ?? key;
    return typeof entry === "function" ? entry(...args) : entry;
  };
}

export function pickLanguage(fallback) {
  const stored = localStorage.getItem("trygg-language");
  if (stored && WORDS[stored]) return stored;
  return WORDS[fallback] ? fallback : "en";
}
