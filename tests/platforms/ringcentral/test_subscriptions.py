"""Subscription filters (pure): one message-store pair per extension, the ``~`` form before the
directory is known, a guard past the filter cap, and the masked form that is stored."""

from __future__ import annotations

import pytest

from callbridge.platforms.ringcentral import subscriptions
from callbridge.platforms.ringcentral.subscriptions import (
    ACCOUNT_FILTERS,
    EVENT_FILTERS,
    event_extension,
    event_filters,
    filtered_extensions,
    masked,
)


def test_one_message_store_pair_per_extension_after_the_account_filters():
    filters, left = event_filters(["11", "22", "11"])
    assert left == []
    assert filters == (
        *ACCOUNT_FILTERS,
        "/restapi/v1.0/account/~/extension/11/message-store",
        "/restapi/v1.0/account/~/extension/11/message-store/instant?type=SMS",
        "/restapi/v1.0/account/~/extension/22/message-store",
        "/restapi/v1.0/account/~/extension/22/message-store/instant?type=SMS",
    )
    assert filtered_extensions(filters) == {"11", "22"}


@pytest.mark.parametrize("ids", [[], [""], ["~", "not-a-number"]])
def test_without_usable_ids_the_authorised_extensions_filters_serve(ids):
    assert event_filters(ids) == (EVENT_FILTERS, [])


def test_extensions_past_the_cap_are_left_to_the_catch_up_sync(monkeypatch):
    monkeypatch.setattr(subscriptions, "MAX_FILTERS", 5)  # telephony + two extensions
    filters, left = event_filters([str(i) for i in range(1, 6)])
    assert len(filters) == 5 and filtered_extensions(filters) == {"1", "2"}
    assert left == ["3", "4", "5"]


@pytest.mark.parametrize(("event", "expected"), [
    ("/restapi/v1.0/account/123/extension/456/message-store", "456"),
    ("/restapi/v1.0/account/123/extension/456/message-store/instant?type=SMS", "456"),
    ("/restapi/v1.0/account/~/extension/456", "456"),
    ("/restapi/v1.0/account/~/extension/~/message-store", None),
    ("/restapi/v1.0/account/123/telephony/sessions", None),
    ("/restapi/v1.0/account/123/extension/45x6/fax", None),
])
def test_the_extension_an_event_path_names(event, expected):
    assert event_extension(event) == expected


def test_the_stored_form_has_no_real_ids():
    echoed = [
        "/restapi/v1.0/account/987/telephony/sessions",
        "/restapi/v1.0/account/987/extension/11/message-store",
        "/restapi/v1.0/account/987/extension/11/message-store/instant?type=SMS",
        "/restapi/v1.0/account/987/extension/22/message-store",
    ]
    assert masked(echoed) == list(EVENT_FILTERS)
