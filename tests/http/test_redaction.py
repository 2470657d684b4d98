import logging

import pytest

from callbridge.http.redaction import RedactingFilter, install_redaction, redact, redact_headers

LEAKS = [
    ("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.payload.sig", "eyJhbGciOiJSUzI1NiJ9"),
    ("authorization=Basic dXNlcjpodW50ZXIy", "dXNlcjpodW50ZXIy"),
    ("GET https://api.example.com/x?access_token=at-123456&page=2", "at-123456"),
    ("grant_type=refresh_token&refresh_token=rt-98765&client_secret=cs-555", "rt-98765"),
    ("grant_type=refresh_token&refresh_token=rt-98765&client_secret=cs-555", "cs-555"),
    ('{"access_token": "at-abc", "expires_in": 3600}', "at-abc"),
    ("{'password': 'hunter2'}", "hunter2"),
    ("postgresql+psycopg://app:s3cr3t@db:5432/callbridge", "s3cr3t"),
    ("api_token=pd-0123456789abcdef", "pd-0123456789abcdef"),
    ('{"api_key":"k-777"}', "k-777"),
    ("code=auth-code-42&state=xyz", "auth-code-42"),
    ("GET https://api.hubapi.com/oauth/v1/access-tokens/CJSP5qf1KhICAQEYs-gDIIGOBii1hQ", "CJSP5qf1KhIC"),
    ("DELETE https://api.hubapi.com/oauth/v1/refresh-tokens/rt-na1-5a9d?x=1", "rt-na1-5a9d"),
]


@pytest.mark.parametrize(("text", "secret"), LEAKS)
def test_credentials_are_redacted_wherever_they_appear(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned
    assert "***" in cleaned


@pytest.mark.parametrize("text", ["error code 401 from HubSpot", "encode=1 decode=2", "tokens used: 5"])
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def test_sensitive_headers_are_masked():
    shown = redact_headers({"Authorization": "Bearer x", "Verification-Token": "v", "Accept": "json"})
    assert shown == {"Authorization": "***", "Verification-Token": "***", "Accept": "json"}


def test_a_log_record_with_args_and_exception_is_redacted():
    record = logging.LogRecord("t", logging.ERROR, __file__, 1, "sent %s", ("Bearer tok-abcdef123",), None)
    try:
        raise RuntimeError("refresh_token=rt-secret failed")
    except RuntimeError as exc:
        record.exc_info = (type(exc), exc, exc.__traceback__)
    RedactingFilter().filter(record)
    text = record.getMessage()
    assert "tok-abcdef123" not in text and "rt-secret" not in text
    assert record.exc_info is None


def test_installed_filter_keeps_secrets_out_of_real_log_output(caplog):
    logger = logging.getLogger("callbridge.test.redaction")
    caplog.handler.addFilter(RedactingFilter())
    install_redaction(logger)
    logger.warning("calling with Authorization: Bearer %s", "live-token-999999")
    assert "live-token-999999" not in caplog.text
    assert "Bearer ***" in caplog.text
