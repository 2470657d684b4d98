"""The sandbox-control API under `/_sandbox/...`: inspect, move the clock, inject faults,
seed data, trigger deliveries and edit records to simulate late data. Not part of RingCentral."""

from __future__ import annotations

import random
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Request
from pydantic import BaseModel, Field

from callbridge.clock import VirtualClock

from .config import RateGroupLimit, WebhookConfig
from .generator import generate, make_call, make_message, play_live, publish_call, summarise
from .generator import publish_message as publish_msg
from .guard import sandbox_of
from .models import Party, Recording
from .state import SandboxState
from .timeutil import iso

__all__ = ["router"]

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


class ClockMove(BaseModel):
    advance_seconds: float | None = Field(default=None, ge=0)
    set: datetime | None = None
    deliver: bool = False


class GenerateRequest(BaseModel):
    seed: int = 1
    extensions: int = Field(default=5, ge=1, le=2000)
    days: int = Field(default=7, ge=1, le=400)
    start: datetime | None = None
    calls_per_day: int = Field(default=40, ge=0)
    sms_conversations_per_day: int = Field(default=8, ge=0)
    faxes_per_day: int = Field(default=2, ge=0)
    recorded_share: float = Field(default=0.35, ge=0, le=1)
    recording_bytes: int | None = Field(default=None, ge=64)


class LiveRequest(BaseModel):
    seed: int = 1
    start: datetime | None = None
    duration_seconds: float = Field(default=3600, gt=0)
    calls_per_hour: float = Field(default=30, ge=0)
    sms_per_hour: float = Field(default=10, ge=0)


class CallRequest(BaseModel):
    extension_number: str | None = None
    phone_number: str = "+14155550123"
    direction: Literal["Inbound", "Outbound"] = "Inbound"
    result: str | None = None
    duration_seconds: int | None = Field(default=None, ge=1)
    start: datetime | None = None
    recorded: bool = False
    recording_delay_seconds: float | None = Field(default=None, ge=0)
    publish_events: bool = True


class MessageRequest(BaseModel):
    extension_number: str | None = None
    phone_number: str = "+14155550123"
    type: Literal["SMS", "Fax", "VoiceMail"] = "SMS"
    direction: Literal["Inbound", "Outbound"] = "Inbound"
    text: str | None = None
    start: datetime | None = None
    publish_events: bool = True


class CallEdit(BaseModel):
    result: str | None = None
    add_recording: bool = False
    recording_delay_seconds: float = Field(default=0, ge=0)
    recording_type: Literal["Automatic", "OnDemand"] = "Automatic"
    delete: bool = False


class MessageEdit(BaseModel):
    read_status: Literal["Read", "Unread"] | None = None
    delete: bool = False


class RateLimitUpdate(BaseModel):
    enabled: bool | None = None
    groups: dict[str, RateGroupLimit] | None = None


def _ext(sandbox: SandboxState, number: str | None) -> Any:
    if number is None:
        return sandbox.admin_extension()
    ext = sandbox.extension_by_number(number)
    if ext is None:
        raise HTTPException(404, f"no extension with number {number!r} in the sandbox")
    return ext


@router.get("/state")
async def state(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return {"now": iso(sandbox.now()), "virtual_clock": sandbox.virtual,
            "account_id": sandbox.config.account_id, "counts": sandbox.counts(),
            "webhooks": sandbox.webhooks.stats(), "faults_injected": sandbox.faults.injected}


@router.get("/credentials")
async def credentials(request: Request) -> dict[str, Any]:
    """The seeded demo credentials (sandbox values, not secrets)."""
    sandbox = sandbox_of(request)
    cfg = sandbox.config.auth
    admin = sandbox.admin_extension() if sandbox.extensions else None
    return {"client_id": cfg.client_id, "client_secret": cfg.client_secret, "jwt": cfg.jwt,
            "account_id": sandbox.config.account_id,
            "jwt_extension_id": admin.id if admin else None}


@router.get("/requests")
async def requests_served(request: Request, since: int = 0,
                          path_contains: str | None = None) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    with sandbox.lock:
        rows = [r for r in sandbox.request_log if r["seq"] > since
                and (path_contains is None or path_contains in r["path"])]
    return {"total_served": sandbox.request_count, "records": rows}


@router.delete("/requests", status_code=204)
async def clear_requests(request: Request) -> None:
    sandbox_of(request).request_log.clear()


@router.get("/clock")
async def get_clock(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return {"now": iso(sandbox.now()), "virtual": sandbox.virtual}


@router.post("/clock")
async def move_clock(request: Request, move: ClockMove) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    clock = sandbox.clock
    if not isinstance(clock, VirtualClock):
        raise HTTPException(409, "the sandbox runs on the system clock; start it with a "
                                 "virtual clock to move time")
    try:
        if move.set is not None:
            clock.set(move.set)
        if move.advance_seconds:
            clock.advance(move.advance_seconds)
    except ValueError as exc:
        raise HTTPException(400, str(exc)) from exc
    out: dict[str, Any] = {"now": iso(sandbox.now()), "virtual": True}
    if move.deliver:
        out["deliveries"] = [asdict(r) for r in await sandbox.webhooks.pump()]
    return out


@router.get("/faults")
async def get_faults(request: Request) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    return {"config": sandbox.faults.config.model_dump(), "injected": sandbox.faults.injected}


@router.post("/faults")
async def set_faults(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    try:
        return sandbox.faults.configure(changes).model_dump()
    except ValueError as exc:
        raise HTTPException(422, f"bad fault settings: {exc}") from exc


@router.delete("/faults")
async def clear_faults(request: Request) -> dict[str, Any]:
    return sandbox_of(request).faults.clear().model_dump()


@router.post("/tokens/revoke")
async def revoke_tokens(request: Request, extension_id: int | None = None) -> dict[str, int]:
    return {"revoked_sessions": sandbox_of(request).tokens.revoke_all(extension_id)}


@router.post("/tokens/expire")
async def expire_tokens(request: Request) -> dict[str, int]:
    return {"expired": sandbox_of(request).tokens.expire_access_tokens()}


@router.put("/rate-limits")
async def set_rate_limits(request: Request, update: RateLimitUpdate) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    cfg = sandbox.config.rate_limits
    if update.enabled is not None:
        cfg.enabled = update.enabled
    if update.groups:
        cfg.groups.update(update.groups)
    sandbox.limiter.reset()
    return cfg.model_dump()


@router.post("/rate-limits/reset", status_code=204)
async def reset_rate_limits(request: Request) -> None:
    sandbox_of(request).limiter.reset()


@router.put("/webhooks")
async def set_webhooks(request: Request, changes: dict[str, Any]) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    try:
        merged = WebhookConfig.model_validate({**sandbox.config.webhooks.model_dump(), **changes})
    except ValueError as exc:
        raise HTTPException(422, f"bad webhook settings: {exc}") from exc
    sandbox.config.webhooks = merged
    if "seed" in changes:
        sandbox.webhooks.reseed(merged.seed)
    return merged.model_dump()


@router.post("/generate")
async def generate_data(request: Request, body: GenerateRequest) -> dict[str, Any]:
    return generate(sandbox_of(request), **body.model_dump())


@router.post("/live")
async def live(request: Request, body: LiveRequest) -> dict[str, Any]:
    return play_live(sandbox_of(request), **body.model_dump())


@router.get("/stats")
async def stats(request: Request) -> dict[str, Any]:
    return summarise(sandbox_of(request))


@router.post("/deliver")
async def deliver(request: Request) -> dict[str, Any]:
    records = await sandbox_of(request).webhooks.pump()
    return {"deliveries": [asdict(r) for r in records]}


@router.get("/deliveries")
async def deliveries(request: Request) -> dict[str, Any]:
    hub = sandbox_of(request).webhooks
    return {"records": [asdict(r) for r in hub.log], "stats": hub.stats()}


@router.post("/calls")
async def create_call(request: Request, body: CallRequest) -> dict[str, Any]:
    """One call with chosen facts; with `publish_events` its telephony events go to webhooks."""
    sandbox = sandbox_of(request)
    ext = _ext(sandbox, body.extension_number)
    rng = random.Random(f"call:{sandbox.request_count}")
    start = body.start or sandbox.now()
    call = make_call(sandbox, rng, ext, Party(phone_number=body.phone_number), start,
                     direction=body.direction, result=body.result,
                     duration=body.duration_seconds, recorded_share=0.0)
    if body.recorded:
        _add_recording(sandbox, call.id, body.recording_delay_seconds
                       if body.recording_delay_seconds is not None
                       else sandbox.config.recording_delay_min_seconds, "Automatic")
    if body.publish_events:
        publish_call(sandbox, call)
    return {"id": call.id, "sessionId": call.session_id,
            "telephonySessionId": call.telephony_session_id, "extensionId": ext.id,
            "startTime": iso(call.start_time), "endTime": iso(call.end_time),
            "visibleAt": iso(call.visible_at), "recordingId": call.recording_id}


def _add_recording(sandbox: SandboxState, call_id: str, delay: float, kind: str) -> Recording:
    call = sandbox.calls[call_id]
    after = max(call.end_time, sandbox.now())
    rec = Recording(id=str(sandbox.ids.numeric()), call_id=call.id, type=kind,
                    content_type=sandbox.config.recording_content_type,
                    duration=max(1, call.duration_ms // 1000),
                    available_at=after + timedelta(seconds=delay))
    sandbox.recordings[rec.id] = rec
    call.recording_id = rec.id
    if call.legs:
        call.legs[0].recording_id = rec.id
    return rec


@router.post("/calls/{call_id}/edit")
async def edit_call(request: Request, call_id: str, edit: CallEdit) -> dict[str, Any]:
    """Late data: a recording appears, the result changes, the record is deleted."""
    sandbox = sandbox_of(request)
    call = sandbox.calls.get(call_id)
    if call is None:
        raise HTTPException(404, f"no call record {call_id!r} in the sandbox")
    now = sandbox.now()
    out: dict[str, Any] = {"id": call.id}
    if edit.result is not None:
        call.result = edit.result
        if call.legs:
            call.legs[0].result = edit.result
        call.edits.append(now)
    if edit.add_recording:
        rec = _add_recording(sandbox, call.id, edit.recording_delay_seconds, edit.recording_type)
        out["recordingId"], out["recordingAvailableAt"] = rec.id, iso(rec.available_at)
    if edit.delete:
        call.deleted_at = now
    return out


@router.post("/messages")
async def create_message(request: Request, body: MessageRequest) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    ext = _ext(sandbox, body.extension_number)
    rng = random.Random(f"msg:{sandbox.request_count}")
    msg = make_message(sandbox, rng, ext, body.type, body.direction,
                       Party(phone_number=body.phone_number), body.start or sandbox.now(),
                       text=body.text, vm_duration=12)
    if body.publish_events:
        publish_msg(sandbox, msg)
    return {"id": msg.id, "extensionId": ext.id, "conversationId": msg.conversation_id,
            "attachments": [a.id for a in msg.attachments]}


@router.post("/messages/{message_id}/edit")
async def edit_message(request: Request, message_id: int, edit: MessageEdit) -> dict[str, Any]:
    sandbox = sandbox_of(request)
    msg = sandbox.messages.get(message_id)
    if msg is None:
        raise HTTPException(404, f"no message {message_id} in the sandbox")
    now = sandbox.now()
    if edit.read_status:
        msg.read_status = edit.read_status
        msg.edits.append(now)
    if edit.delete and msg.deleted_at is None:
        msg.deleted_at = now
    return {"id": msg.id}


@router.post("/call-log/reset")
async def reset_call_log(request: Request) -> dict[str, int]:
    """Invalidate every call-log sync token (clients must run a new FSync)."""
    sandbox = sandbox_of(request)
    sandbox.call_log_epoch += 1
    return {"epoch": sandbox.call_log_epoch}
