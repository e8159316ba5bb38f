"""Answers framed for uWSGI's router (config/framing.py), on small WSGI applications: what the
wrapper adds, what it strips, and that it closes what it strips."""

import io

import pytest

from config import framing
from config.framing import framed


class Body(list):
    """A WSGI body that records whether the server closed it."""

    closed = False

    def close(self):
        self.closed = True


def answering(status, headers, chunks):
    body = Body(chunks)

    def app(environ, start_response):
        start_response(status, list(headers))
        return body

    return app, body


def call(app, method="GET"):
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    result = list(framed(app)({"REQUEST_METHOD": method}, start_response))
    return seen["status"], dict(seen["headers"]), result


@pytest.mark.parametrize("status", ["304 Not Modified", "204 No Content", "103 Early Hints"])
def test_an_answer_without_a_body_gets_a_zero_length_and_no_body(status):
    app, body = answering(status, [("ETag", '"v1"')], [b""])
    assert call(app) == (status, {"ETag": '"v1"', "Content-Length": "0"}, [])
    assert body.closed


def test_a_length_already_given_is_kept():
    app, _ = answering("304 Not Modified", [("Content-Length", "0")], [])
    assert call(app)[1] == {"Content-Length": "0"}


def test_a_head_answer_keeps_its_length_and_loses_its_body():
    app, body = answering("200 OK", [("Content-Length", "5")], [b"hello"])
    assert call(app, "HEAD") == ("200 OK", {"Content-Length": "5"}, [])
    assert body.closed


def test_a_head_answer_of_unknown_length_closes_its_connection():
    app, body = answering("200 OK", [("Content-Type", "application/geo+json")], [b"{", b"}"])
    status, headers, result = call(app, "HEAD")
    assert headers["Connection"] == "close" and "Content-Length" not in headers
    assert result == [] and body.closed


def test_other_answers_pass_through_untouched():
    app, body = answering("200 OK", [("Content-Type", "text/plain")], [b"a", b"b"])
    assert call(app) == ("200 OK", {"Content-Type": "text/plain"}, [b"a", b"b"])
    assert not body.closed  # the server closes it once it has sent it


def posting(body: bytes, reads: int):
    """A POST of `body` to an app that reads `reads` bytes of it and answers 403."""
    stream = io.BytesIO(body)

    def app(environ, start_response):
        environ["wsgi.input"].read(reads)
        start_response("403 Forbidden", [("Content-Length", "2")])
        return [b"no"]

    environ = {"REQUEST_METHOD": "POST", "CONTENT_LENGTH": str(len(body)), "wsgi.input": stream}
    result = list(framed(app)(environ, lambda status, headers, exc_info=None: None))
    return result, stream


@pytest.mark.parametrize("reads", [0, 100])
def test_a_body_the_app_left_unread_is_read_to_its_end(reads):
    """So the client gets the answer instead of a reset connection."""
    result, stream = posting(b"x" * 300_000, reads)
    assert result == [b"no"] and stream.tell() == 300_000


def test_a_body_too_large_to_wait_for_is_left_unread(monkeypatch):
    monkeypatch.setattr(framing, "DRAIN_LIMIT", 1000)
    result, stream = posting(b"x" * 300_000, 0)
    assert result == [b"no"] and stream.tell() == 0
