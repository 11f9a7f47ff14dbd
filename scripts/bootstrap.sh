#!/usr/bin/env bash
# Set-up for a fresh machine, idempotent: Python check, venv with dynaform and its dev extras,
# Java check (installed with apt-get when run as root on Debian/Ubuntu), chromium for the UI's
# browser tests (likewise), DynamoDB Local.
set -euo pipefail
cd "$(dirname "$0")/.."

python=${PYTHON:-python3}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "error: dynaform needs Python 3.11 or newer (tried '$python'); set PYTHON=/path/to/python3.11" >&2
  exit 1
fi

if [ ! -x .venv/bin/python ]; then
  echo "== creating .venv"
  "$python" -m venv .venv
fi
stamp=.venv/.dynaform-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "== installing dynaform with its dev extras into .venv"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]'
  touch "$stamp"
fi

java_ok() { .venv/bin/python -c 'from dynaform.local.java import find_java; find_java()' 2>/dev/null; }
if ! java_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing Java 17 (openjdk-17-jre-headless) with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless
  fi
fi
if ! java_ok; then
  echo "error: DynamoDB Local needs Java 11 or newer; install it, e.g. 'sudo apt-get install -y openjdk-17-jre-headless'" >&2
  exit 1
fi

# The web UI's browser tests drive Debian's chromium through Playwright (`executable_path`);
# Playwright's own browser download is never used.
chromium_ok() { command -v chromium >/dev/null || command -v chromium-browser >/dev/null; }
if ! chromium_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing chromium with apt-get (for the UI's browser tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  fi
fi
if ! chromium_ok; then
  echo "error: the UI's browser tests need chromium; install it, e.g. 'sudo apt-get install -y chromium'" >&2
  exit 1
fi

# The PostgreSQL source's tests (`data import TABLE postgresql://...`) start a throwaway
# cluster with Debian's PostgreSQL 15 (initdb and pg_ctl from /usr/lib/postgresql/15/bin).
postgres_ok() { [ -x /usr/lib/postgresql/15/bin/initdb ] && [ -x /usr/lib/postgresql/15/bin/pg_ctl ]; }
if ! postgres_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing PostgreSQL 15 (postgresql-15) with apt-get (for the PostgreSQL source's tests)"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15
  fi
fi
if ! postgres_ok; then
  echo "error: the PostgreSQL source's tests need PostgreSQL 15; install it, e.g. 'sudo apt-get install -y postgresql-15'" >&2
  exit 1
fi

# The codec's tests also run it compiled by mypyc (as the optional compiled wheel ships it):
# that needs a C compiler and the headers of the venv's Python.
compiler_ok() {
  command -v cc >/dev/null && .venv/bin/python -c 'import os, sysconfig, sys
sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))'
}
if ! compiler_ok; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "== installing a C compiler and Python's headers (gcc, python3-dev) with apt-get"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq gcc python3-dev
  fi
fi
if ! compiler_ok; then
  echo "error: the compiled codec's tests need a C compiler and Python's headers; install them, e.g. 'sudo apt-get install -y gcc python3-dev'" >&2
  exit 1
fi

.venv/bin/dynaform local install
