"""Date formats where Django's own do not suit (settings.FORMAT_MODULE_PATH): Swedish and Danish
pages use Django's (2026-11-27, 27.11.2026); English ones ISO dates rather than the American
month first, since Trygg's English readers are Scandinavian as often as not."""
