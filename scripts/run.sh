#!/usr/bin/env bash
# Migrates, loads the demo neighbourhood once, then serves Trygg with its background worker.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}

# The demo runs as production does (its own error pages, nothing of the code shown to a
# visitor), over plain HTTP on this machine: no redirect to HTTPS, no HTTPS-only cookies.
# `DEBUG=1 make run` serves Django's debug pages instead.
export DEBUG=${DEBUG:-0}
if [ "$DEBUG" = 0 ]; then
  export ALLOWED_HOSTS=${ALLOWED_HOSTS:-$HOST,127.0.0.1,localhost}
  export SECURE_SSL_REDIRECT=${SECURE_SSL_REDIRECT:-0} SECURE_HSTS_SECONDS=${SECURE_HSTS_SECONDS:-0}
  export SESSION_COOKIE_SECURE=${SESSION_COOKIE_SECURE:-0} CSRF_COOKIE_SECURE=${CSRF_COOKIE_SECURE:-0}
fi

# First of all: a port in use (Trygg already running?) stops here, before the migrations and
# the static files change under a running server.
$PY -m config.serve --check "$HOST" "$PORT"
$PY manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
$PY manage.py migrate --noinput -v 0
$PY manage.py load_demo --if-missing
$PY manage.py collectstatic --noinput -v 0

# The worker never auto-reloads (DEBUG would make it): tasks must not be cut off mid-run.
DEBUG=0 $PY manage.py db_worker -v 0 --no-startup-delay &
worker=$!
trap 'kill "$worker" 2>/dev/null || true' EXIT INT TERM

cat <<MSG

  Trygg is serving on http://$HOST:$PORT/
    planner map     http://$HOST:$PORT/map/demo/
    API docs        http://$HOST:$PORT/api/docs/
  Demo logins (password trygg-demo): demo-coordinator, demo-planner, demo-analyst, demo-participant

MSG
$PY -m config.serve "$HOST" "$PORT"
