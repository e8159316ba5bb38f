"""Template context of every page."""

from django.contrib.messages.context_processors import messages as django_messages

# Sent by a page's script that fetches a page in the background to read parts of it (the data
# page's job lists, layers/static/data/jobs.js), never by a navigation.
BACKGROUND_HEADER = "X-Trygg-Background"


def messages(request) -> dict:
    """Django's messages, except to a page fetched in the background: rendering them there
    would use them up (a message is shown once), and the "Import queued" another tab's POST
    left for the page it goes to next would be read by a refresh nobody sees."""
    context = django_messages(request)
    if request.headers.get(BACKGROUND_HEADER):
        context["messages"] = ()
    return context
