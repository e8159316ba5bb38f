// MapLibre's own words (its controls' names and titles, read aloud by screen readers) in the
// page's language; MapLibre itself knows only English. Passed as the map's `locale` option.
const WORDS = {
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
