"""Requests and answers framed so that uWSGI's HTTP router can keep their connections alive
and clients read every answer.

The router decides where an answer ends from its Content-Length, and does not know which
answers have no body:

- an answer without Content-Length is sent chunked, so a 304 (WhiteNoise's, for a static file
  the browser revalidates) went out with the chunked body `0\\r\\n\\r\\n`;
- the body a WSGI application returns for a HEAD request is passed on to the client.

A browser reads those leftover bytes as the start of the next answer on the same kept-alive
connection and fails it (seen: the map's stylesheet failed with ERR_INVALID_HTTP_RESPONSE
after the page's other files had been revalidated, and the map came up without its panel).

And a request refused before its body was read (a 401 for an expired token, a 404 for a
mistyped area, a 413 for a declared size over the limit) left the rest of the body unread:
the worker closed its connection with data still arriving, the kernel reset it, and the router
reset the client's, which saw "connection reset" instead of the answer (an import posted to a
mistyped area, or with an expired token, looked like a network failure).
"""

from collections.abc import Callable, Iterable

# The most of an unread request body read and dropped so that its client gets the answer: any
# photo (at most 15 MB) or moderate import. Beyond it the connection is cut, as before, rather
# than hold a worker thread for a large upload nobody will use.
DRAIN_LIMIT = 64 * 1024 * 1024
DRAIN_CHUNK = 256 * 1024


def has_no_body(status: str) -> bool:
    """1xx, 204 and 304 answers never carry a body (RFC 9110, 6.4.1)."""
    return status[0] == "1" or status[:3] in ("204", "304")


class CountedInput:
    """`wsgi.input`, counting the bytes the application read from it."""

    def __init__(self, stream):
        self.stream = stream
        self.count = 0

    def read(self, *size):
        data = self.stream.read(*size)
        self.count += len(data)
        return data

    def readline(self, *size):
        line = self.stream.readline(*size)
        self.count += len(line)
        return line

    def drain(self, length: int) -> None:
        """Read and drop the body up to `length` bytes, if no more than DRAIN_LIMIT remain."""
        if 0 < length - self.count <= DRAIN_LIMIT:
            while self.count < length and self.read(min(DRAIN_CHUNK, length - self.count)):
                pass


def framed(app: Callable) -> Callable:
    """`app`, with a bodiless answer given `Content-Length: 0` (as Django's CommonMiddleware
    gives its own; browsers and caches ignore a 304's length, RFC 9111 3.2), a HEAD answer
    stripped of its body, and a request's unread body read to its end. A HEAD answer that has no
    length (a streamed export) closes its connection: its length is not known without producing
    the whole body."""

    def application(environ: dict, start_response: Callable) -> Iterable[bytes]:
        head = environ.get("REQUEST_METHOD") == "HEAD"
        empty = head
        length = environ.get("CONTENT_LENGTH") or "0"
        length = int(length) if length.isdigit() else 0
        if length:
            environ["wsgi.input"] = body_input = CountedInput(environ["wsgi.input"])

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
        if length:
            body_input.drain(length)
        if not empty:
            return body
        close = getattr(body, "close", None)
        if close is not None:
            close()  # Django's request_finished: the request's connections are tidied
        return []

    return application
