"""Liveness and readiness probes."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy import text

from callbridge.runtime import Runtime
from callbridge.web.deps import get_runtime

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up (checks nothing else)."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(runtime: Runtime = Depends(get_runtime)) -> JSONResponse:
    """Ready when the database and the job broker answer."""
    checks: dict[str, dict[str, str]] = {}
    try:
        with runtime.db.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        checks["database"] = {"status": "ok", "backend": runtime.db.dialect}
    except Exception as exc:
        checks["database"] = {
            "status": "failed",
            "error": type(exc).__name__,
            "hint": "check CALLBRIDGE_DATABASE_URL and that the database is running",
        }
    try:
        runtime.broker.ping()
        checks["jobs"] = {"status": "ok", "backend": type(runtime.broker.huey).__name__}
    except Exception as exc:
        checks["jobs"] = {
            "status": "failed",
            "error": type(exc).__name__,
            "hint": "check CALLBRIDGE_JOBS_URL and that Redis (or the jobs file) is reachable",
        }
    ready = all(c["status"] == "ok" for c in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "not_ready", "checks": checks}, status_code=200 if ready else 503
    )
