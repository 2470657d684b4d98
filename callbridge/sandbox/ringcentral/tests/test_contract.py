"""Contract tests: every endpoint's responses against RingCentral's published schemas."""

from __future__ import annotations

from urllib.parse import urlsplit

from callbridge.sandbox.ringcentral.bulk import parse_multipart_mixed

from .conftest import ACC, Sandbox, assert_valid
from .schema_check import SchemaValidator

WEEK = {"dateFrom": "2026-01-01T00:00:00.000Z"}


def _path(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.path}?{parts.query}"


def test_account_call_log_pages_follow_navigation(sbx: Sandbox, validator: SchemaValidator) -> None:
    first = sbx.get(f"{ACC}/call-log", params={**WEEK, "perPage": 40})
    assert first.status_code == 200
    body = first.json()
    assert_valid(validator, body, "CallLogResponse")
    total = body["paging"]["totalElements"]
    assert total > 80 and body["paging"]["pageStart"] == 0 and body["paging"]["pageEnd"] == 39
    seen = [r["id"] for r in body["records"]]
    nav = body["navigation"]
    assert "previousPage" not in nav and nav["firstPage"]["uri"].endswith("page=1&perPage=40")
    while "nextPage" in nav:
        page = sbx.get(_path(nav["nextPage"]["uri"])).json()
        assert_valid(validator, page, "CallLogResponse")
        seen += [r["id"] for r in page["records"]]
        nav = page["navigation"]
        sbx.state.limiter.reset()
    assert len(seen) == len(set(seen)) == total
    starts = [r for r in seen]
    assert starts  # newest first is checked below
    times = [sbx.state.calls[i].start_time for i in seen]
    assert times == sorted(times, reverse=True)


def test_call_log_filters_and_detailed_view(sbx: Sandbox, validator: SchemaValidator) -> None:
    resp = sbx.get(f"{ACC}/call-log", params=[("dateFrom", WEEK["dateFrom"]), ("view", "Detailed"),
                                              ("type", "Voice"), ("direction", "Outbound"),
                                              ("perPage", "1000")])
    body = resp.json()
    assert_valid(validator, body, "CallLogResponse")
    assert body["records"] and all(r["direction"] == "Outbound" and r["type"] == "Voice"
                                   for r in body["records"])
    assert all("legs" in r and "lastModifiedTime" in r for r in body["records"])
    simple = sbx.get(f"{ACC}/call-log", params={**WEEK, "recordingType": "All"}).json()
    assert simple["records"] and all("recording" in r and "legs" not in r
                                     for r in simple["records"])
    window = sbx.get(f"{ACC}/call-log", params={"dateFrom": "2026-01-06T00:00:00Z",
                                                "dateTo": "2026-01-06T23:59:59.999Z"}).json()
    assert all(r["startTime"].startswith("2026-01-06") for r in window["records"])
    bad = sbx.get(f"{ACC}/call-log", params={"view": "Fancy"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["errorCode"] == "CMN-101"


def test_extension_call_log_and_get_one(sbx: Sandbox, validator: SchemaValidator) -> None:
    body = sbx.get(f"{ACC}/extension/~/call-log", params={**WEEK, "perPage": 5}).json()
    assert_valid(validator, body, "CallLogResponse")
    owner = sbx.state.admin_extension().id
    assert body["records"] and all(r["extension"]["id"] == owner for r in body["records"])
    rid = body["records"][0]["id"]
    one = sbx.get(f"{ACC}/extension/~/call-log/{rid}", params={"view": "Detailed"})
    assert one.status_code == 200 and one.headers["content-type"] == "application/json"
    assert_valid(validator, one.json(), "CallLogRecord")
    company = sbx.get(f"{ACC}/call-log/{rid}").json()
    assert_valid(validator, company, "CallLogRecord")
    missing = sbx.get(f"{ACC}/call-log/NoSuchRecord12")
    assert missing.status_code == 404
    err = missing.json()
    assert err["errors"][0]["errorCode"] == "CMN-102"
    assert err["errors"][0]["message"] == "Resource for parameter [callRecordId] is not found"


def test_multi_id_get_answers_207_multipart(sbx: Sandbox, validator: SchemaValidator) -> None:
    ids = [r["id"] for r in sbx.get(f"{ACC}/call-log", params={**WEEK, "perPage": 3}).json()
           ["records"]]
    resp = sbx.get(f"{ACC}/call-log/{','.join([*ids, 'Unknown0000000'])}")
    assert resp.status_code == 207
    assert resp.headers["content-type"].startswith("multipart/mixed; boundary=")
    parts = parse_multipart_mixed(resp.content, resp.headers["content-type"])
    statuses = [p["status"] for p in parts[0]["response"]]
    assert statuses == [200, 200, 200, 404]
    assert all(set(p) == {"href", "status", "responseDescription"} for p in parts[0]["response"])
    for record in parts[1:4]:
        assert_valid(validator, record, "CallLogRecord")
    assert parts[4]["errors"][0]["errorCode"] == "CMN-102"
    too_many = sbx.get(f"{ACC}/call-log/{','.join(['x'] * 51)}")
    assert too_many.status_code == 400


def test_call_log_sync_full_then_incremental(sbx: Sandbox, validator: SchemaValidator) -> None:
    missing_count = sbx.get(f"{ACC}/call-log-sync", params={"syncType": "FSync"})
    assert missing_count.status_code == 400
    full = sbx.get(f"{ACC}/extension/~/call-log-sync",
                   params={"syncType": "FSync", "recordCount": 5}).json()
    assert_valid(validator, full, "CallLogSyncResponse")
    assert len(full["records"]) == 5 and full["syncInfo"]["syncType"] == "FSync"
    token = full["syncInfo"]["syncToken"]
    empty = sbx.get(f"{ACC}/extension/~/call-log-sync",
                    params={"syncType": "ISync", "syncToken": token}).json()
    assert_valid(validator, empty, "CallLogSyncResponse")
    assert empty["records"] == []
    sbx.state.limiter.reset()
    created = sbx.client.post("/_sandbox/calls", json={"direction": "Outbound",
                                                      "result": "Call connected",
                                                      "duration_seconds": 60}).json()
    sbx.clock.advance(90)
    inc = sbx.get(f"{ACC}/extension/~/call-log-sync",
                  params={"syncType": "ISync", "syncToken": empty["syncInfo"]["syncToken"]})
    body = inc.json()
    assert_valid(validator, body, "CallLogSyncResponse")
    assert [r["id"] for r in body["records"]] == [created["id"]]
    sbx.client.post("/_sandbox/call-log/reset")
    reset = sbx.get(f"{ACC}/extension/~/call-log-sync",
                    params={"syncType": "ISync", "syncToken": body["syncInfo"]["syncToken"]})
    assert reset.status_code == 400
    assert "Sync token expired, call log was reset" in reset.json()["message"]


def test_call_log_extract_sync_pages_by_update_time(sbx: Sandbox,
                                                    validator: SchemaValidator) -> None:
    sbx.state.config.rate_limits.enabled = False
    first = sbx.get(f"{ACC}/call-log-extract-sync",
                    params={"dateFrom": "2026-01-01T00:00:00Z", "recordCount": 50}).json()
    assert_valid(validator, first, "CallLogExtractSyncResponse")
    assert first["syncInfo"]["newerRecordsExist"] is True and len(first["records"]) >= 50
    ids = [r["id"] for r in first["records"]]
    token = first["syncInfo"]["syncToken"]
    while True:
        page = sbx.get(f"{ACC}/call-log-extract-sync",
                       params={"syncType": "ISync", "syncToken": token}).json()
        assert_valid(validator, page, "CallLogExtractSyncResponse")
        ids += [r["id"] for r in page["records"]]
        token = page["syncInfo"]["syncToken"]
        if not page["syncInfo"]["newerRecordsExist"]:
            break
    assert len(ids) == len(set(ids)) == len(sbx.state.calls)


def test_recording_metadata_and_content(sbx: Sandbox, validator: SchemaValidator) -> None:
    rec = sbx.get(f"{ACC}/call-log", params={**WEEK, "recordingType": "Automatic"}).json()[
        "records"][0]["recording"]
    meta = sbx.get(urlsplit(rec["uri"]).path)
    assert meta.status_code == 200
    assert_valid(validator, meta.json(), "GetCallRecordingResponse")
    assert meta.json()["contentType"] in ("audio/mpeg", "audio/wav", "audio/x-wav")
    content = sbx.get(urlsplit(rec["contentUri"]).path)
    assert content.status_code == 200
    assert content.headers["content-type"] == "audio/mpeg"
    assert int(content.headers["content-length"]) == len(content.content) == 4096
    again = sbx.get(urlsplit(rec["contentUri"]).path)
    assert again.content == content.content
    part = sbx.get(urlsplit(rec["contentUri"]).path, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206 and part.content == content.content[100:200]
    assert part.headers["content-range"] == "bytes 100-199/4096"
    sbx.state.limiter.reset()
    bad = sbx.get(urlsplit(rec["contentUri"]).path, headers={"Range": "bytes=5000-"})
    assert bad.status_code == 416 and bad.json()["errors"][0]["errorCode"] == "CMN-107"
    gone = sbx.get(f"{ACC}/recording/123")
    assert gone.status_code == 404 and gone.json()["errors"][0]["errorCode"] == "CMN-102"


def test_extension_directory(sbx: Sandbox, validator: SchemaValidator) -> None:
    listing = sbx.get(f"{ACC}/extension", params={"perPage": 2})
    assert listing.headers["x-rate-limit-group"] == "medium"
    body = listing.json()
    assert_valid(validator, body, "GetExtensionListResponse")
    assert body["paging"]["totalElements"] == 4 and "nextPage" in body["navigation"]
    assert all("regionalSettings" not in r for r in body["records"])
    one = sbx.get(f"{ACC}/extension/~")
    assert one.headers["x-rate-limit-group"] == "light"
    assert_valid(validator, one.json(), "GetExtensionInfoResponse")
    assert one.json()["regionalSettings"]["timezone"]["name"] == "America/New_York"


def test_message_store_list_get_delete(sbx: Sandbox, validator: SchemaValidator) -> None:
    sbx.state.config.rate_limits.enabled = False
    lst = sbx.get(f"{ACC}/extension/~/message-store", params={**WEEK, "perPage": 1000}).json()
    assert_valid(validator, lst, "GetMessageList")
    types = {r["type"] for r in lst["records"]}
    assert {"SMS", "Fax", "VoiceMail"} <= types
    sms = next(r for r in lst["records"] if r["type"] == "SMS")
    assert isinstance(sms["conversationId"], int) and sms["conversation"]["id"] == str(
        sms["conversationId"])
    one = sbx.get(f"{ACC}/extension/~/message-store/{sms['id']}").json()
    assert_valid(validator, one, "GetMessageInfoResponse")
    thread = sbx.get(f"{ACC}/extension/~/message-store",
                     params={**WEEK, "conversationId": sms["conversationId"]}).json()
    assert all(r["conversationId"] == sms["conversationId"] for r in thread["records"])
    faxes = sbx.get(f"{ACC}/extension/~/message-store",
                    params={**WEEK, "messageType": "Fax"}).json()["records"]
    assert faxes and all(r["type"] == "Fax" for r in faxes)
    deleted = sbx.client.delete(f"{ACC}/extension/~/message-store/{sms['id']}",
                                headers=sbx.headers)
    assert deleted.status_code == 204
    after = sbx.get(f"{ACC}/extension/~/message-store/{sms['id']}").json()
    assert after["availability"] == "Deleted"
    alive = sbx.get(f"{ACC}/extension/~/message-store", params=WEEK).json()["records"]
    assert sms["id"] not in [r["id"] for r in alive]
    sbx.clock.advance(6 * 86400)
    sbx.login()  # the 1 h access token has long expired
    purged = sbx.get(f"{ACC}/extension/~/message-store/{sms['id']}").json()
    assert purged["availability"] == "Purged" and purged["attachments"] == []


def test_message_multi_get_both_flavours(sbx: Sandbox) -> None:
    ids = [r["id"] for r in sbx.get(f"{ACC}/extension/~/message-store",
                                    params={**WEEK, "perPage": 2}).json()["records"]]
    path = f"{ACC}/extension/~/message-store/{ids[0]},{ids[1]},111"
    mixed = sbx.get(path)
    assert mixed.status_code == 207
    parts = parse_multipart_mixed(mixed.content, mixed.headers["content-type"])
    assert [p["status"] for p in parts[0]["response"]] == [200, 200, 404]
    js = sbx.get(path, headers={"Accept": "application/vnd.ringcentral.multipart+json"})
    assert js.status_code == 207
    arr = js.json()
    assert [a["status"] for a in arr] == [200, 200, 404]
    assert arr[0]["resourceId"] == str(ids[0]) and arr[0]["body"]["id"] == ids[0]
    assert arr[2]["body"]["errorCode"] == "CMN-102"


def test_message_attachments_content(sbx: Sandbox) -> None:
    sbx.state.config.rate_limits.enabled = False
    records = sbx.get(f"{ACC}/extension/~/message-store",
                      params={**WEEK, "perPage": 1000}).json()["records"]
    fax = next(r for r in records if r["type"] == "Fax")
    pdf = sbx.get(urlsplit(fax["attachments"][0]["uri"]).path)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-1.4") and pdf.content.rstrip().endswith(b"%%EOF")
    assert pdf.headers["x-rate-limit-group"] == "medium"
    sms = next(r for r in records if r["type"] == "SMS")
    text = sbx.get(urlsplit(sms["attachments"][0]["uri"]).path)
    assert text.text == sms["subject"]
    vm = next(r for r in records if r["type"] == "VoiceMail")
    audio = sbx.get(urlsplit(vm["attachments"][0]["uri"]).path)
    assert audio.content[:4] == b"RIFF" and audio.headers["content-type"] == "audio/wav"
    assert int(audio.headers["content-length"]) == len(audio.content)


def test_message_sync_full_and_incremental(sbx: Sandbox, validator: SchemaValidator) -> None:
    full = sbx.get(f"{ACC}/extension/~/message-sync",
                   params={"syncType": "FSync", "dateFrom": WEEK["dateFrom"],
                           "recordCount": 5}).json()
    assert_valid(validator, full, "GetMessageSyncResponse")
    assert len(full["records"]) == 5 and full["syncInfo"]["olderRecordsExist"] is True
    sbx.clock.advance(60)
    made = sbx.client.post("/_sandbox/messages", json={"text": "new one"}).json()
    victim = full["records"][0]["id"]
    sbx.client.delete(f"{ACC}/extension/~/message-store/{victim}", headers=sbx.headers)
    sbx.clock.advance(1)
    inc = sbx.get(f"{ACC}/extension/~/message-sync",
                  params={"syncType": "ISync", "syncToken": full["syncInfo"]["syncToken"]}).json()
    assert_valid(validator, inc, "GetMessageSyncResponse")
    by_id = {r["id"]: r for r in inc["records"]}
    assert by_id[made["id"]]["subject"] == "new one"
    assert by_id[victim] == {"id": victim, "availability": "Deleted"}
    bad = sbx.get(f"{ACC}/extension/~/message-sync",
                  params={"syncType": "ISync", "syncToken": "garbage"})
    assert bad.status_code == 400 and bad.json()["errors"][0]["errorCode"] == "MSG-333"
