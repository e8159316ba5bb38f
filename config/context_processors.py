"""Template context of every page."""

# Sent by a page's script that fetches a page in the background to read parts of it (the data
# page's job lists, layers/static/data/jobs.js), never by a navigation.
BACKGROUND_HEADER = "X-Trygg-Background"


def background_without_messages(request) -> dict:
    """No messages to a page fetched in the background: rendering them there would use them up
    (a message is shown once), and the "Import queued" another tab's POST left for the page it
    goes to next would be read by a refresh nobody sees. Listed after Django's own processor
    (which the admin's checks require by name), so its `messages` is the one templates get."""
    return {"messages": ()} if request.headers.get(BACKGROUND_HEADER) else {}
