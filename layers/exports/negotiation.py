"""Content negotiation for answers whose type the URL decides."""

from rest_framework.negotiation import BaseContentNegotiation


class AnswerAsNamed(BaseContentNegotiation):
    """A file export is the file its URL names (`lamps.gpkg`), and an OGC API answer is JSON or
    GeoJSON as its `f` parameter says, whatever the client's Accept header asks for. DRF's own
    negotiation refused `Accept: application/geo+json` with 406, though that is exactly what
    such an answer is, and turned an unknown `?format=` into a 404. Errors are rendered by the
    first renderer, JSON."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
