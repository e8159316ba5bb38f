"""Small helpers for the pages' plain HTML forms."""


def posted_id(request, name: str) -> int | None:
    """The id a form POSTed under `name`, or None if it is missing or not a whole number: a
    hand-edited form gets the page's 404, not a server error."""
    value = request.POST.get(name, "")
    return int(value) if value.isascii() and value.isdigit() else None
