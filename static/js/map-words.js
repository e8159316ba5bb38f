// MapLibre's own words (its controls' names and titles, read aloud by screen readers) in the
// page's language; MapLibre itself knows only English. Passed as the map's `locale` option.
const WORDS = {
  // MapLibre's own, for going back to English after another language.
  en: {
    "Map.Title": "Map",
    "NavigationControl.ZoomIn": "Zoom in",
    "NavigationControl.ZoomOut": "Zoom out",
    "NavigationControl.ResetBearing": "Drag to rotate map, click to reset north",
    "Popup.Close": "Close popup",
  },
  sv: {
    "Map.Title": "Karta",
    "Marker.Title": "Kartnål",
    "NavigationControl.ZoomIn": "Zooma in",
    "NavigationControl.ZoomOut": "Zooma ut",
    "NavigationControl.ResetBearing": "Dra för att vrida kartan, klicka för att återställa norr",
    "Popup.Close": "Stäng",
    "ScaleControl.Meters": "m",
    "ScaleControl.Kilometers": "km",
  },
  da: {
    "Map.Title": "Kort",
    "Marker.Title": "Kortnål",
    "NavigationControl.ZoomIn": "Zoom ind",
    "NavigationControl.ZoomOut": "Zoom ud",
    "NavigationControl.ResetBearing": "Træk for at dreje kortet, klik for at nulstille nord",
    "Popup.Close": "Luk",
    "ScaleControl.Meters": "m",
    "ScaleControl.Kilometers": "km",
  },
};

export function mapWords(language) {
  return WORDS[(language || "en").slice(0, 2)] || {};
}

// The controls of a map already drawn, in another language: MapLibre reads its words once, when
// the map is made, and the capture app switches language without a reload.
const CONTROLS = {
  ".maplibregl-ctrl-zoom-in": "NavigationControl.ZoomIn",
  ".maplibregl-ctrl-zoom-out": "NavigationControl.ZoomOut",
  ".maplibregl-ctrl-compass": "NavigationControl.ResetBearing",
  ".maplibregl-popup-close-button": "Popup.Close",
};

export function rewordControls(container, language) {
  const words = { ...WORDS.en, ...mapWords(language) };
  for (const [selector, key] of Object.entries(CONTROLS)) {
    container.querySelectorAll(selector).forEach((control) => {
      control.title = words[key];
      control.setAttribute("aria-label", words[key]);
    });
  }
  container.querySelector(".maplibregl-canvas")?.setAttribute("aria-label", words["Map.Title"]);
}
