"""What every command shares: settings, the runtime, and how results and errors are shown."""

from __future__ import annotations

import logging
from typing import Any

from rich.console import Console

from callbridge.config import Settings, load_settings
from callbridge.http.redaction import install_redaction
from callbridge.runtime import Runtime

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def settings(**overrides: Any) -> Settings:
    return load_settings(**overrides)


def runtime(**overrides: Any) -> Runtime:
    s = settings(**overrides)
    configure_logging(s.log_level)
    return Runtime(s)


def configure_logging(level: str) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_redaction()
