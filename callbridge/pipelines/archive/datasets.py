"""The datasets and the checks on a run's arguments (bad input changes nothing)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from callbridge.errors import InvalidInput

__all__ = ["DATASETS", "check_window", "parse_datasets"]

DATASETS = ("calls", "recordings", "messages", "attachments")


def parse_datasets(names: Iterable[str] | None) -> tuple[str, ...]:
    chosen: list[str] = []
    for raw in names or ():
        for name in (n.strip().lower() for n in raw.split(",")):
            if not name:
                continue
            if name not in DATASETS:
                raise InvalidInput(
                    f"Unknown dataset {name!r}.", field="dataset", hint=f"use one of: {', '.join(DATASETS)}"
                )
            if name not in chosen:
                chosen.append(name)
    return tuple(n for n in DATASETS if n in chosen) if chosen else DATASETS


def check_window(date_from: datetime | None, date_to: datetime | None, now: datetime) -> None:
    if date_from and date_to and date_from >= date_to:
        raise InvalidInput(
            f"--from {date_from.isoformat()} is not before --to {date_to.isoformat()}.",
            field="from",
            hint="give a --from earlier than --to",
        )
    if date_from and date_from > now:
        raise InvalidInput(
            f"--from {date_from.isoformat()} is in the future.", field="from", hint="give a past date"
        )
