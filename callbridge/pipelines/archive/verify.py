"""Verification: re-list the platform, compare per-day counts, re-hash stored objects."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func, select

from callbridge.db.models import ArchivedCall, ArchivedMessage, ArchivedObject
from callbridge.pipelines.archive.records import parse_time
from callbridge.pipelines.archive.run import MAILBOX_TYPES, windows
from callbridge.pipelines.archive.storage import ObjectStore
from callbridge.platforms.ringcentral.factory import RingCentralSession

if TYPE_CHECKING:
    from callbridge.runtime import Runtime

__all__ = ["Gap", "VerifyReport", "verify"]


@dataclass(frozen=True)
class Gap:
    dataset: str
    day: str
    problem: str


@dataclass
class VerifyReport:
    days: dict[str, dict[str, tuple[int, int]]] = field(
        default_factory=dict
    )  # dataset → day → (platform, archive)
    objects_checked: int = 0
    gaps: list[Gap] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.gaps


async def verify(
    runtime: Runtime,
    organization_id: str,
    rc: RingCentralSession,
    store: ObjectStore,
    date_from: datetime,
    date_to: datetime,
    *,
    window_hours: int = 168,
    repair: bool = False,
) -> VerifyReport:
    report = VerifyReport()
    client = rc.client
    platform_calls: Counter[str] = Counter()
    recorded: dict[str, str] = {}
    for w_start, w_end in windows(date_from, date_to, window_hours):
        seen: set[str] = set()
        async for page in client.list_call_log(w_start, w_end):
            for rec in page.records:
                if str(rec["id"]) in seen:
                    continue
                seen.add(str(rec["id"]))
                start = parse_time(rec.get("startTime"))
                if start is not None and date_from <= start <= date_to:
                    day = start.date().isoformat()
                    platform_calls[day] += 1
                    if (rec.get("recording") or {}).get("id"):
                        recorded[str(rec["recording"]["id"])] = day
    platform_msgs: Counter[str] = Counter()
    extensions = [e for e in await client.list_extensions() if e.get("type") in MAILBOX_TYPES]
    for ext in extensions:
        seen = set()
        async for page in client.list_messages(str(ext["id"]), date_from, date_to):
            for rec in page.records:
                created = parse_time(rec.get("creationTime"))
                if created is not None and str(rec["id"]) not in seen:
                    seen.add(str(rec["id"]))
                    platform_msgs[created.date().isoformat()] += 1

    with runtime.db.tenant(organization_id) as session:
        archived_calls = dict(
            session.execute(
                select(ArchivedCall.day, func.count())
                .where(ArchivedCall.start_time >= date_from, ArchivedCall.start_time <= date_to)
                .group_by(ArchivedCall.day)
            ).all()
        )
        archived_msgs = dict(
            session.execute(
                select(ArchivedMessage.day, func.count())
                .where(ArchivedMessage.creation_time >= date_from, ArchivedMessage.creation_time <= date_to)
                .group_by(ArchivedMessage.day)
            ).all()
        )
        objects = list(session.scalars(select(ArchivedObject)))
        stored_recordings = {o.source_id for o in objects if o.kind == "recording" and o.status == "stored"}
        _compare(report, "calls", platform_calls, archived_calls)
        _compare(report, "messages", platform_msgs, archived_msgs)
        for rec_id, day in sorted(recorded.items()):
            if rec_id not in stored_recordings:
                report.gaps.append(Gap("recordings", day, f"recording {rec_id} is not archived"))
        for obj in objects:
            if obj.status != "stored" or obj.path is None:
                if obj.kind == "attachment":
                    report.gaps.append(
                        Gap("attachments", obj.day, f"{obj.kind} {obj.source_id} is {obj.status}")
                    )
                continue
            report.objects_checked += 1
            problem = _check_object(store, obj.path, obj.size, obj.sha256)
            if problem:
                report.gaps.append(Gap(f"{obj.kind}s", obj.day, f"{obj.kind} {obj.source_id}: {problem}"))
                if repair:  # fetch it again on the next run
                    store.discard(obj.path)
                    obj.status = "pending"
                    obj.last_error = problem
    return report


def _compare(report: VerifyReport, dataset: str, platform: Counter[str], archive: dict[str, int]) -> None:
    days = report.days.setdefault(dataset, {})
    for day in sorted(set(platform) | set(archive)):
        have, want = archive.get(day, 0), platform.get(day, 0)
        days[day] = (want, have)
        if have < want:
            report.gaps.append(Gap(dataset, day, f"{want} on the platform, {have} archived"))


def _check_object(store: ObjectStore, path: str, size: int | None, sha256: str | None) -> str | None:
    if not store.exists(path):
        return f"object {path} is missing from storage"
    if size is not None and store.size(path) != size:
        return f"object {path} has {store.size(path)} bytes, {size} were archived"
    if sha256 and store.sha256(path) != sha256:
        return f"object {path} fails its sha256 check (changed or corrupted)"
    return None
