#!/usr/bin/env bash
# Installs whatever is missing for Trygg and makes sure a PostGIS database is reachable.
# Safe to run again: each step checks first, so a second run takes a few seconds.
#
#   scripts/bootstrap.sh                       a development machine: `make run` and `make test`
#   TRYGG_BOOTSTRAP=server scripts/bootstrap.sh
#                                              a server: what the service runs on, without the test
#                                              tools (Chromium, pytest, Playwright, ruff)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PG_BIN=/usr/lib/postgresql/15/bin

say() { printf '\033[1m[bootstrap]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# --- system packages (Debian 12 / Ubuntu) ----------------------------------------------------
PROFILE=${TRYGG_BOOTSTRAP:-dev}
case "$PROFILE" in
  dev) extras=".[dev]"; browsers=(chromium chromium-driver) ;;
  server) extras="."; browsers=() ;;
  *) echo "TRYGG_BOOTSTRAP is dev or server, not '$PROFILE'" >&2; exit 2 ;;
esac

missing=()
# libgdal-dev and gettext build and translate on the server too (pip builds GDAL's bindings
# against the system library; compilemessages needs msgfmt).
for pkg in postgresql-15 postgresql-15-postgis-3 gdal-bin libgdal-dev gettext "${browsers[@]}" nodejs npm; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# node and npm may come from elsewhere than Debian; only their commands matter.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
read -r -a missing <<<"${missing[*]:-}"
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing system packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# --- Python virtualenv ---------------------------------------------------------------------------
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv
fi
# Only the dependency lists matter: editing ruff or pytest settings must not reinstall.
# (A server's stamp differs from a development machine's, so that switching reinstalls.)
deps_stamp=$( ([ "$PROFILE" = dev ] || echo "$PROFILE"; sed -n '/^dependencies/,/^\[build-system\]/p' pyproject.toml) | sha256sum | cut -c1-16)
if [ "$(cat .venv/.trygg-deps 2>/dev/null)" != "$deps_stamp" ]; then
  say "installing Python packages"
  .venv/bin/pip install -q --upgrade pip
  .venv/bin/pip install -q "$extras"
  rm -rf build ./*.egg-info
  echo "$deps_stamp" > .venv/.trygg-deps
fi

# --- JavaScript assets (MapLibre, served locally) -----------------------------------------------
js_stamp=$(sha256sum package-lock.json | cut -c1-16)
if [ "$(cat node_modules/.trygg-deps 2>/dev/null)" != "$js_stamp" ]; then
  say "installing JS assets"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$js_stamp" > node_modules/.trygg-deps
fi

# --- database ------------------------------------------------------------------------------------
# DATABASE_URL from the environment wins; otherwise the project runs its own PostGIS in .pgdata,
# listening on 127.0.0.1 only, and records how to reach it in .env.
if [ -n "${DATABASE_URL:-}" ]; then
  say "using DATABASE_URL from the environment"
  exit 0
fi
if [ -f .env ] && grep -q '^DATABASE_URL=' .env && ! grep -q '^TRYGG_LOCAL_PG=1' .env; then
  say "using DATABASE_URL from .env"
  exit 0
fi

# PostgreSQL refuses to run as root, so as root the cluster belongs to the postgres user.
PG_USER=$(id -un)
[ "$(id -u)" -eq 0 ] && PG_USER=postgres
as_pg() { if [ "$(id -un)" = "$PG_USER" ]; then "$@"; else runuser -u "$PG_USER" -- "$@"; fi; }

free_port() {
  "$ROOT/.venv/bin/python" - <<'PY'
import socket
for port in range(54320, 54400):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            continue
        print(port)
        break
PY
}

PGDATA=$ROOT/.pgdata
if [ ! -f "$PGDATA/PG_VERSION" ]; then
  say "creating a local PostGIS cluster in .pgdata"
  mkdir -p "$PGDATA"
  chown "$PG_USER" "$PGDATA"
  chmod 700 "$PGDATA"
  password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
  pwfile=$(mktemp)
  echo "$password" > "$pwfile"
  chown "$PG_USER" "$pwfile"
  as_pg "$PG_BIN/initdb" -D "$PGDATA" -U trygg --pwfile="$pwfile" --auth=scram-sha-256 \
    --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$pwfile"
  cat >> "$PGDATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
shared_buffers = 512MB
work_mem = 32MB
maintenance_work_mem = 256MB
max_connections = 200
fsync = on
CONF
  port=$(free_port)
  echo "$port" > "$PGDATA/trygg-port"
  secret=$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 64)
  cat > .env <<ENV
# Written by scripts/bootstrap.sh for the local PostGIS in .pgdata (git-ignored).
TRYGG_LOCAL_PG=1
DATABASE_URL=postgis://trygg:$password@127.0.0.1:$port/trygg
SECRET_KEY=$secret
DEBUG=1
ENV
fi

port=$(cat "$PGDATA/trygg-port")
# Keys written by older bootstraps were too short for production settings (the worker runs
# with DEBUG=0): renew one shorter than 50 characters.
if [ "$(grep '^SECRET_KEY=' .env | cut -d= -f2- | tr -d '\n' | wc -c)" -lt 50 ]; then
  sed -i "s/^SECRET_KEY=.*/SECRET_KEY=$(head -c 96 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 64)/" .env
fi
if ! as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" status >/dev/null 2>&1; then
  # A port taken by something else since the last run: move to a free one.
  if ! "$ROOT/.venv/bin/python" -c "import socket,sys; s=socket.socket(); s.bind(('127.0.0.1', $port))" 2>/dev/null; then
    new_port=$(free_port)
    sed -i "s/127.0.0.1:$port\//127.0.0.1:$new_port\//" .env
    port=$new_port
    echo "$port" > "$PGDATA/trygg-port"
  fi
  say "starting PostGIS on 127.0.0.1:$port"
  as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -o "-p $port" -w start >/dev/null
fi
url=$(grep '^DATABASE_URL=' .env | cut -d= -f2-)
pw=$(echo "$url" | sed -E 's#.*://trygg:([^@]*)@.*#\1#')
if ! PGPASSWORD=$pw psql -h 127.0.0.1 -p "$port" -U trygg -d postgres -tAc "select 1 from pg_database where datname='trygg'" | grep -q 1; then
  PGPASSWORD=$pw psql -q -h 127.0.0.1 -p "$port" -U trygg -d postgres -c "create database trygg"
fi
PGPASSWORD=$pw psql -q -h 127.0.0.1 -p "$port" -U trygg -d trygg -c "create extension if not exists postgis" 2>/dev/null
say "PostGIS ready on 127.0.0.1:$port"
