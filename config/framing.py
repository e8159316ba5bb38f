"""Answers framed so that uWSGI's HTTP router can keep their connections alive.

The router decides where an answer ends from its Content-Length, and does not know which
answers have no body:

- an answer without Content-Length is sent chunked, so a 304 (WhiteNoise's, for a static file
  the browser revalidates) went out with the chunked body `0\\r\\n\\r\\n`;
- the body a WSGI application returns for a HEAD request is passed on to the client.

A browser reads those leftover bytes as the start of the next answer on the same kept-alive
connection and fails it (seen: the map's stylesheet failed with ERR_INVALID_HTTP_RESPONSE
after the page's other files had been revalidated, and the map came up without its panel).
"""

from collections.abc import Callable, Iterable


def has_no_body(status: str) -> bool:
    """1xx, 204 and 304 answers never carry a body (RFC 9110, 6.4.1)."""
    return status[0] == "1" or status[:3] in ("204", "304")


def framed(app: Callable) -> Callable:
    """`app`, with a bodiless answer given `Content-Length: 0` (as Django's CommonMiddleware
    gives its own; browsers and caches ignore a 304's length, RFC 9111 3.2) and a HEAD answer
    stripped of its body. A HEAD answer that has no length (a streamed export) closes its
    connection: its length is not known without producing the whole body."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        head = environ.get("REQUEST_METHOD") == "HEAD"
        empty = head

        def framing_start_response(status, headers, exc_info=None):
            nonlocal empty
            has_length = any(name.lower() == "content-length" for name, _ in headers)
            if has_no_body(status):
                empty = True
                if not has_length:
                    headers.append(("Content-Length", "0"))
            elif head and not has_length:
                headers.append(("Connection", "close"))
            return start_response(status, headers, exc_info)

        body = app(environ, framing_start_response)
        if not empty:
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()  # Django's request_finished: the request's connections are tidied
        return []

    return application
