"""Rules about where code may do what, checked on the source."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "callbridge"
# Decision 9: only jobs/ (and, later, webhook routing) may open the cross-tenant system scope.
SYSTEM_SCOPE_ALLOWED = ("jobs/", "db/session.py", "web/webhooks/")
TIME_READS = {("datetime", "now"), ("datetime", "utcnow"), ("time", "time"), ("date", "today")}


def _calls(path: Path):
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            base = node.func.value
            name = base.id if isinstance(base, ast.Name) else getattr(base, "attr", "")
            yield name, node.func.attr, node.lineno


def _product_files():
    for path in PACKAGE.rglob("*.py"):
        rel = path.relative_to(PACKAGE).as_posix()
        if rel.startswith("sandbox/") or "/tests/" in rel:
            continue
        yield rel, path


def test_only_jobs_open_the_system_scope():
    offenders = [
        f"{rel}:{line}"
        for rel, path in _product_files()
        if not rel.startswith(SYSTEM_SCOPE_ALLOWED)
        for _, attr, line in _calls(path)
        if attr == "system" and "db" in path.read_text().splitlines()[line - 1]
    ]
    assert offenders == []


def test_product_code_reads_time_only_through_the_clock():
    offenders = [
        f"{rel}:{line} {name}.{attr}()"
        for rel, path in _product_files()
        if rel != "clock.py"
        for name, attr, line in _calls(path)
        if (name, attr) in TIME_READS
    ]
    assert offenders == []


def test_import_contracts_hold():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint_imports), "--no-cache"], capture_output=True, text=True, cwd=PACKAGE.parent, timeout=120
    )
    assert result.returncode == 0, result.stdout[-3000:]
