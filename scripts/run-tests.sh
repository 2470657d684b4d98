#!/usr/bin/env bash
# The suite, as `make test` and CI run it:
#  1. every test on SQLite (the embedded default);
#  2. the tests that touch storage again on PostgreSQL with Redis-backed jobs.
# Outside CI an unreachable PostgreSQL/Redis is reported as NOT RUN; in CI (CI=true) it fails.
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
PG_URL=${CALLBRIDGE_TEST_PG_URL:-postgresql+psycopg://postgres@127.0.0.1:5432/test}
REDIS_URL=${CALLBRIDGE_TEST_REDIS_URL:-redis://127.0.0.1:6379/0}
export CALLBRIDGE_TEST_PG_URL=$PG_URL CALLBRIDGE_TEST_REDIS_URL=$REDIS_URL
PYTEST=("$PY" -m pytest -n auto -q -p no:cacheprovider)

echo "== 1/2: whole suite on SQLite"
CALLBRIDGE_TEST_BACKEND=sqlite "${PYTEST[@]}"
sqlite_rc=$?

echo "== 2/2: storage tests on PostgreSQL + Redis"
missing=$("$PY" - "$PG_URL" "$REDIS_URL" <<'PYEOF'
import sys
problems = []
try:
    import psycopg
    psycopg.connect(sys.argv[1].replace("+psycopg", ""), connect_timeout=3).close()
except Exception as exc:
    problems.append(f"PostgreSQL at {sys.argv[1]} ({type(exc).__name__})")
try:
    import redis
    redis.Redis.from_url(sys.argv[2], socket_connect_timeout=3).ping()
except Exception as exc:
    problems.append(f"Redis at {sys.argv[2]} ({type(exc).__name__})")
print("; ".join(problems))
PYEOF
)
if [ -n "$missing" ]; then
  if [ "${CI:-}" = "true" ]; then
    echo "FAILED: CI must run the PostgreSQL+Redis suite but cannot reach: $missing"
    echo "Start them (see README 'Tests') or set CALLBRIDGE_TEST_PG_URL / CALLBRIDGE_TEST_REDIS_URL."
    exit 1
  fi
  echo "NOT RUN: PostgreSQL+Redis suite, unreachable: $missing"
  pg_rc=0
else
  CALLBRIDGE_TEST_BACKEND=postgresql "${PYTEST[@]}" -m storage
  pg_rc=$?
fi

if [ $sqlite_rc -ne 0 ] || [ $pg_rc -ne 0 ]; then
  echo "FAILED: sqlite=$sqlite_rc postgresql=$pg_rc"
  exit 1
fi
echo "OK: both backends passed"
