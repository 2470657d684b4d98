"""Traffic generator: seeds an account with realistic, reproducible calls and messages, and
plays traffic live (calls at future virtual times whose events become webhooks)."""

from __future__ import annotations

import math
import random
import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI

from .events import message_events, telephony_events
from .models import (
    Attachment,
    CallLeg,
    CallRecord,
    Extension,
    IdFactory,
    Message,
    Party,
    Recording,
)
from .render import Urls, render_message
from .state import SandboxState

__all__ = ["generate", "make_call", "make_message", "play_live", "seed_extensions", "summarise"]

FIRST = ["Ada", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hugo", "Ines", "Jonas",
         "Kara", "Liam", "Maya", "Noah", "Olga", "Pavel", "Quinn", "Rosa", "Sam", "Tara"]
LAST = ["Archer", "Baker", "Castillo", "Dubois", "Eklund", "Fischer", "Garcia", "Hughes",
        "Ivanova", "Jensen", "Kowalski", "Lopez", "Moreau", "Nakamura", "Okafor", "Price"]
DEPTS = ["Sales", "Support", "Billing", "Success"]
ZONES = ["America/New_York", "America/Chicago", "America/Denver", "America/Los_Angeles",
         "Europe/London"]
AREAS = [("415", "San Francisco, CA"), ("212", "New York, NY"), ("312", "Chicago, IL"),
         ("617", "Boston, MA"), ("206", "Seattle, WA"), ("512", "Austin, TX"),
         ("800", None), ("303", "Denver, CO")]
INBOUND_RESULTS = [("Accepted", 62), ("Missed", 14), ("Voicemail", 12), ("Hang Up", 5),
                   ("Rejected", 3), ("Busy", 2), ("Abandoned", 2)]
OUTBOUND_RESULTS = [("Call connected", 70), ("No Answer", 14), ("Busy", 6), ("Hang Up", 6),
                    ("Call Failed", 2), ("Wrong Number", 2)]
REASONS = {"Missed": "No Answer", "Voicemail": "No Answer", "Hang Up": "Hang Up",
           "Busy": "Line Busy", "No Answer": "Not Answered", "Rejected": "Calls Not Accepted",
           "Call Failed": "Internal Error", "Wrong Number": "Wrong Number",
           "Accepted": "Accepted", "Call connected": "Accepted", "Abandoned": "Hang Up"}
SMS_TEXTS = ["Hi, is this still available?", "Can we move our call to 3pm?", "Thanks!",
             "Invoice attached, please confirm.", "On my way.", "Running 5 min late",
             "Could you send the quote again?", "Great, talk tomorrow.", "Yes", "Call me back"]


def _state(target: SandboxState | FastAPI) -> SandboxState:
    if isinstance(target, SandboxState):
        return target
    state: SandboxState = target.state.sandbox
    return state


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([w[0] for w in weighted], weights=[w[1] for w in weighted])[0]


class _Contacts:
    """A fixed pool of outside parties, so the same numbers call again across days."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self.people: list[Party] = []
        for _ in range(size):
            area, loc = rng.choice(AREAS)
            number = f"+1{area}555{rng.randrange(10000):04d}"
            name = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.4 else None
            self.people.append(Party(phone_number=number, name=name, location=loc))

    def pick(self, rng: random.Random) -> Party:
        idx = min(int(rng.paretovariate(1.2)) - 1, len(self.people) - 1)
        return self.people[idx if rng.random() < 0.6 else rng.randrange(len(self.people))]


def seed_extensions(state: SandboxState, count: int, *, seed: int,
                    start: datetime) -> list[Extension]:
    """Create users up to `count` (the first one is the admin the JWT belongs to)."""
    rng = random.Random(f"ext:{seed}")
    out = list(state.extensions.values())
    for i in range(len(out), count):
        first, last = FIRST[i % len(FIRST)], LAST[(i * 7 + rng.randrange(3)) % len(LAST)]
        ext = Extension(
            id=state.ids.numeric(), number=str(101 + i), first_name=first, last_name=last,
            email=f"{first.lower()}.{last.lower()}@sandbox.example.com",
            phone_number=f"+1650555{1000 + i:04d}", creation_time=start - timedelta(days=400),
            timezone=ZONES[i % len(ZONES)] if i else ZONES[0], department=DEPTS[i % len(DEPTS)],
        )
        out.append(state.add_extension(ext))
    return out[:count] if count else out


def _me(ext: Extension) -> Party:
    return Party(phone_number=ext.phone_number, extension_number=ext.number,
                 extension_id=str(ext.id), name=ext.name)


def make_call(
    state: SandboxState, rng: random.Random, ext: Extension, other: Party, start: datetime, *,
    direction: str | None = None, result: str | None = None, duration: int | None = None,
    recorded_share: float = 0.3, transfer_to: Extension | None = None,
    recording_bytes: int | None = None,
) -> CallRecord:
    """One voice call of `ext` with an outside party, with legs, recording and voicemail."""
    ids = state.ids
    direction = direction or ("Inbound" if rng.random() < 0.55 else "Outbound")
    result = result or _pick(rng, INBOUND_RESULTS if direction == "Inbound" else OUTBOUND_RESULTS)
    connected = result in ("Accepted", "Call connected")
    if duration is None:
        if connected:
            duration = int(min(3600, max(5, rng.lognormvariate(math.log(150), 0.9))))
        elif result == "Voicemail":
            duration = rng.randrange(25, 80)
        else:
            duration = rng.randrange(3, 35)
    me = _me(ext)
    from_, to = (other, me) if direction == "Inbound" else (me, other)
    action = "Phone Call" if direction == "Inbound" else rng.choice(
        ["VoIP Call", "VoIP Call", "Phone Call", "RingOut Web"])
    duration_ms = duration * 1000 + rng.randrange(1000)
    call = CallRecord(
        id=ids.call_id(), session_id=ids.session_id(),
        telephony_session_id=ids.telephony_session_id(), extension_id=ext.id, start_time=start,
        duration_ms=duration_ms, direction=direction, action=action, result=result,
        reason=REASONS.get(result), from_=from_, to=to,
        internal_type="TollFreeNumber" if (other.phone_number or "").startswith("+1800")
        else rng.choice(["Local", "LongDistance", "Usual"]),
        party_id=f"p-{ids.telephony_session_id()[2:]}-1",
        visible_delay=timedelta(seconds=state.config.call_log_delay_seconds),
        billing=(0.0, round(duration / 60 * 0.019, 3)) if direction == "Outbound" else (0.0, 0.0),
    )
    leg_type = "PstnToSip" if direction == "Inbound" else "SipToPstnMetered"
    call.legs.append(CallLeg(start, duration_ms, direction, action, result, leg_type, True,
                             from_, to, reason=call.reason, extension_id=ext.id))
    if transfer_to is not None and connected:
        half = duration_ms // 2
        target = _me(transfer_to)
        call.legs.append(CallLeg(start + timedelta(milliseconds=half), duration_ms - half,
                                 direction, "Transfer", "Accepted", "TransferCall", False,
                                 from_, target, reason="Accepted", extension_id=transfer_to.id))
    recording = None
    if connected and rng.random() < recorded_share:
        if duration >= 30:
            delay = rng.uniform(state.config.recording_delay_min_seconds,
                                state.config.recording_delay_max_seconds)
            recording = Recording(
                id=str(ids.numeric()), call_id=call.id,
                type="Automatic" if rng.random() < 0.8 else "OnDemand",
                content_type=state.config.recording_content_type, duration=duration,
                available_at=call.end_time + timedelta(seconds=delay), size=recording_bytes)
            call.legs[0].recording_id = recording.id
        else:
            call.short_recording = True
    if result == "Voicemail":
        vm = make_message(state, rng, ext, "VoiceMail", "Inbound", other, call.end_time,
                          vm_duration=max(1, duration - 20))
        call.message_id, call.message_type = vm.id, "VoiceMail"
    return state.add_call(call, recording)


def make_message(
    state: SandboxState, rng: random.Random, ext: Extension, kind: str, direction: str,
    other: Party, when: datetime, *, text: str | None = None, conversation_id: int | None = None,
    vm_duration: int = 0, pages: int = 1, mms: bool = False,
) -> Message:
    """An SMS/MMS, Fax or VoiceMail record with its attachments."""
    ids = state.ids
    me = Party(phone_number=ext.phone_number, extension_number=ext.number, name=ext.name)
    from_, to = (other, [me]) if direction == "Inbound" else (me, [other])
    msg = Message(id=ids.numeric(), extension_id=ext.id, type=kind, direction=direction,
                  from_=from_, to=to, creation_time=when,
                  message_status="Received" if direction == "Inbound" else
                  ("Delivered" if kind == "SMS" else "Sent"),
                  read_status="Read" if direction == "Outbound" or rng.random() < 0.7
                  else "Unread")
    if kind == "SMS":
        msg.subject = text or rng.choice(SMS_TEXTS)
        msg.conversation_id = conversation_id or ids.conversation_id()
        msg.attachments.append(Attachment(ids.numeric(), "Text", "text/plain",
                                          size=len(msg.subject), text=msg.subject))
        if mms:
            msg.attachments.append(Attachment(ids.numeric(), "MmsAttachment", "image/png",
                                              file_name="photo.png", width=8, height=8))
    elif kind == "Fax":
        msg.subject = other.phone_number
        msg.fax_page_count, msg.fax_resolution = pages, rng.choice(["High", "Low"])
        msg.attachments.append(Attachment(ids.numeric(), "RenderedDocument", "application/pdf",
                                          file_name=f"fax-{msg.id}.pdf"))
    elif kind == "VoiceMail":
        msg.subject = f"Voice Message from {other.name or other.phone_number}"
        msg.vm_transcription_status = rng.choice(["Completed", "Completed", "NotAvailable"])
        msg.attachments.append(Attachment(ids.numeric(), "AudioRecording", "audio/wav",
                                          vm_duration=vm_duration))
        if msg.vm_transcription_status == "Completed":
            msg.attachments.append(Attachment(ids.numeric(), "AudioTranscription",
                                              "text/plain", text="(sandbox transcription)"))
    return state.add_message(msg)


def _fax_call(state: SandboxState, rng: random.Random, ext: Extension, fax: Message) -> None:
    ids = state.ids
    inbound = fax.direction == "Inbound"
    call = CallRecord(
        id=ids.call_id(), session_id=ids.session_id(),
        telephony_session_id=ids.telephony_session_id(), extension_id=ext.id,
        start_time=fax.creation_time - timedelta(seconds=40 * (fax.fax_page_count or 1)),
        duration_ms=40_000 * (fax.fax_page_count or 1), direction=fax.direction, type="Fax",
        action="Incoming Fax" if inbound else "Outgoing Fax",
        result="Received" if inbound else "Sent", from_=fax.from_, to=fax.to[0],
        visible_delay=timedelta(seconds=state.config.call_log_delay_seconds),
        message_id=fax.id, message_type="Fax")
    state.add_call(call)


def _business_time(rng: random.Random, day: datetime) -> datetime:
    hour = min(19.5, max(7.0, rng.gauss(12.5, 2.6)))
    return day + timedelta(seconds=int(hour * 3600) + rng.randrange(60))


def generate(
    target: SandboxState | FastAPI, *, seed: int, extensions: int = 5, days: int = 7,
    start: datetime | None = None, calls_per_day: int = 40, sms_conversations_per_day: int = 8,
    faxes_per_day: int = 2, recorded_share: float = 0.35, transfer_share: float = 0.06,
    recording_bytes: int | None = None, contacts: int = 60,
) -> dict[str, Any]:
    """Seed `days` of history from `start` (default: `days` before the clock's now).

    Same seed and arguments on a fresh sandbox → the same records, byte for byte. Returns
    `summarise()` of the whole account.
    """
    state = _state(target)
    with state.lock:
        if not state.calls and not state.messages and not state.extensions:
            state.ids = IdFactory(seed)
        rng = random.Random(f"gen:{seed}")
        begin = start or (state.now() - timedelta(days=days))
        begin = begin.replace(hour=0, minute=0, second=0, microsecond=0)
        exts = seed_extensions(state, extensions, seed=seed, start=begin)
        pool = _Contacts(rng, contacts)
        threads: list[tuple[Extension, Party, int]] = []
        for d in range(days):
            day = begin + timedelta(days=d)
            if day.weekday() >= 5 and rng.random() < 0.7:
                continue
            for _ in range(max(0, int(rng.gauss(calls_per_day, calls_per_day * 0.15)))):
                ext = rng.choice(exts)
                transfer = (rng.choice([e for e in exts if e is not ext])
                            if len(exts) > 1 and rng.random() < transfer_share else None)
                make_call(state, rng, ext, pool.pick(rng), _business_time(rng, day),
                          recorded_share=recorded_share, transfer_to=transfer,
                          recording_bytes=recording_bytes)
            for _ in range(sms_conversations_per_day):
                if threads and rng.random() < 0.45:
                    ext, other, conv = rng.choice(threads)  # the conversation goes on
                else:
                    ext, other = rng.choice(exts), pool.pick(rng)
                    conv = state.ids.conversation_id()
                    threads.append((ext, other, conv))
                when = _business_time(rng, day)
                direction = "Inbound" if rng.random() < 0.5 else "Outbound"
                for _ in range(rng.randint(1, 6)):
                    make_message(state, rng, ext, "SMS", direction, other, when,
                                 conversation_id=conv, mms=rng.random() < 0.08)
                    when += timedelta(seconds=rng.randrange(20, 1800))
                    direction = "Outbound" if direction == "Inbound" else "Inbound"
            for _ in range(faxes_per_day):
                ext = rng.choice(exts)
                fax = make_message(state, rng, ext, "Fax",
                                   "Inbound" if rng.random() < 0.7 else "Outbound",
                                   pool.pick(rng), _business_time(rng, day),
                                   pages=rng.randint(1, 4))
                _fax_call(state, rng, ext, fax)
    return summarise(state)


def play_live(
    target: SandboxState | FastAPI, *, seed: int, start: datetime | None = None,
    duration_seconds: float = 3600, calls_per_hour: float = 30, sms_per_hour: float = 10,
    recorded_share: float = 0.35, recording_bytes: int | None = None,
) -> dict[str, list[str]]:
    """Schedule calls and SMS at virtual times from `start` on; their telephony-session and
    message-store events are published, so moving the clock and pumping sends the webhooks."""
    state = _state(target)
    rng = random.Random(f"live:{seed}")
    begin = start or state.now()
    exts = seed_extensions(state, max(1, len(state.extensions)), seed=seed, start=begin)
    pool = _Contacts(rng, 30)
    created: dict[str, list[str]] = {"calls": [], "messages": []}
    when = begin
    end = begin + timedelta(seconds=duration_seconds)
    while calls_per_hour > 0:
        when += timedelta(seconds=rng.expovariate(calls_per_hour / 3600))
        if when >= end:
            break
        call = make_call(state, rng, rng.choice(exts), pool.pick(rng), when,
                         recorded_share=recorded_share, recording_bytes=recording_bytes)
        publish_call(state, call)
        created["calls"].append(call.id)
    when = begin
    while sms_per_hour > 0:
        when += timedelta(seconds=rng.expovariate(sms_per_hour / 3600))
        if when >= end:
            break
        msg = make_message(state, rng, rng.choice(exts), "SMS",
                           "Inbound" if rng.random() < 0.6 else "Outbound", pool.pick(rng), when)
        publish_message(state, msg)
        created["messages"].append(str(msg.id))
    return created


def publish_call(state: SandboxState, call: CallRecord) -> None:
    state.webhooks.publish(telephony_events(call, state.config.account_id, "10.13.22.28.SBX"))
    if call.message_id is not None and call.message_id in state.messages:
        publish_message(state, state.messages[call.message_id])


def publish_message(state: SandboxState, msg: Message) -> None:
    base = state.config.base_url or "https://platform.ringcentral.com"
    urls = Urls(base, state.config.media_base_url or base, state.config.account_id)
    body = render_message(urls, msg, availability="Alive", modified_at=msg.creation_time,
                          string_ids=True)
    state.webhooks.publish(message_events(msg, body))


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def summarise(target: SandboxState | FastAPI) -> dict[str, Any]:
    """Distribution figures of the account (for `callbridge sandbox generate --stats`)."""
    state = _state(target)
    calls = list(state.calls.values())
    voice = [c for c in calls if c.type == "Voice"]
    msgs = list(state.messages.values())
    durations = [c.duration_ms / 1000 for c in voice]
    rec_delays = [(r.available_at - state.calls[r.call_id].end_time).total_seconds()
                  for r in state.recordings.values() if r.call_id in state.calls]
    conv = Counter(m.conversation_id for m in msgs if m.type == "SMS")
    conv_days: dict[int | None, set[str]] = {}
    for m in msgs:
        if m.type == "SMS":
            conv_days.setdefault(m.conversation_id, set()).add(m.creation_time.date().isoformat())
    starts = [c.start_time for c in calls]
    return {
        "extensions": len(state.extensions),
        "span": {"first": min(starts).isoformat() if starts else None,
                 "last": max(starts).isoformat() if starts else None},
        "calls": {
            "total": len(calls),
            "by_type": dict(Counter(c.type for c in calls)),
            "by_direction": dict(Counter(c.direction for c in voice)),
            "by_result": dict(Counter(c.result for c in voice).most_common()),
            "legs": dict(sorted(Counter(len(c.legs) for c in voice).items())),
            "with_recording": sum(1 for c in voice if c.recording_id),
            "short_recording": sum(1 for c in voice if c.short_recording),
            "recorded_share": round(sum(1 for c in voice if c.recording_id) / len(voice), 3)
            if voice else 0.0,
            "duration_s": {"mean": round(statistics.fmean(durations), 1) if durations else 0.0,
                           "p50": _pct(durations, 0.5), "p90": _pct(durations, 0.9),
                           "max": max(durations) if durations else 0.0},
        },
        "recordings": {"total": len(state.recordings),
                       "delay_after_end_s": {"min": round(min(rec_delays), 1) if rec_delays
                                             else 0.0, "p50": round(_pct(rec_delays, 0.5), 1),
                                             "max": round(max(rec_delays), 1) if rec_delays
                                             else 0.0}},
        "messages": {
            "total": len(msgs),
            "by_type": dict(Counter(m.type for m in msgs)),
            "by_direction": dict(Counter(m.direction for m in msgs)),
            "sms_conversations": len(conv),
            "sms_per_conversation_mean": round(statistics.fmean(conv.values()), 2) if conv
            else 0.0,
            "conversations_spanning_days": sum(1 for d in conv_days.values() if len(d) > 1),
            "mms": sum(1 for m in msgs if any(a.type == "MmsAttachment" for a in m.attachments)),
            "fax_pages": sum(m.fax_page_count or 0 for m in msgs if m.type == "Fax"),
        },
    }
