import io

import pytest
from django.core import signals
from django.db import close_old_connections

from config.wsgi import application


@pytest.fixture
def wsgi_get():
    """Call a WSGI application as the server would, keeping the test's transaction open (as
    Django's test client does, connections are not closed around the request)."""

    def get(path, app=application, **environ):
        answer = {}

        def start_response(status, headers, exc_info=None):
            answer["status"] = int(status.split()[0])
            answer["headers"] = dict(headers)

        base = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": "testserver",
            "SERVER_PORT": "80",
            "HTTP_HOST": "testserver",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
        }
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            result = app(base | environ, start_response)
            body = b"".join(result)
            if hasattr(result, "close"):  # as PEP 3333 asks of servers
                result.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return answer["status"], answer["headers"], body

    return get
