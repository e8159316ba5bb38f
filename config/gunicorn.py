"""gunicorn settings for `make run` and the benchmarks (`gunicorn -c config/gunicorn.py`).

Threaded workers keep HTTP connections alive: a map asks for dozens of tiles at once over a few
connections, and a revalidated tile (304) costs less than opening a TCP connection for it.
One process per core, as the benchmarks found more only queue for the CPU (docs/benchmarks.md).
"""

import os

wsgi_app = "config.wsgi:application"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS") or os.cpu_count() or 2)
threads = int(os.environ.get("WEB_THREADS") or 4)
keepalive = 5
# Exports stream for a while; an aggregated tile of a large area can take seconds.
timeout = 120
loglevel = "warning"
