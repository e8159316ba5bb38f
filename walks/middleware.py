"""The release a page of the capture app's scope is of, for its service worker."""

from walks.pages import RELEASE_HEADER, release

SCOPE = "/walks/"  # the service worker's (pages.service_worker)


class ReleaseHeader:
    """Names the release on every page under the worker's scope. The worker serves scripts and
    styles from the cache of its own release; a page of another one (the first load after a
    deploy, before the new worker has taken over) gets them from the network instead, so that a
    page never runs with the scripts of another release (sw.js)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith(SCOPE) and response.get("Content-Type", "").startswith(
            "text/html"
        ):
            response[RELEASE_HEADER] = release()
        return response
