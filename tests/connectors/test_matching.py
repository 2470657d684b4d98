"""Phone matching: every formatting of a stored number is found; different numbers never confused."""

from __future__ import annotations

from datetime import timedelta

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from callbridge.clock import VirtualClock
from callbridge.connectors.base import ContactMatch, InvalidInput, Related
from callbridge.connectors.matching import MatchCache, crm_phone, same_number, search_terms
from callbridge.domain.phone import digits_only, parse_phone

REGIONS = ["US", "GB", "DE", "FR", "AU", "IN", "CA"]


@st.composite
def numbers(draw: st.DrawFn) -> phonenumbers.PhoneNumber:
    region = draw(st.sampled_from(REGIONS))
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.FIXED_LINE)
    national = str(example.national_number)
    tail = draw(st.text("0123456789", min_size=4, max_size=4))
    number = phonenumbers.parse(f"+{example.country_code}{national[:-4]}{tail}")
    return number


def spellings_of(number: phonenumbers.PhoneNumber) -> list[str]:
    fmt = phonenumbers.PhoneNumberFormat
    national = phonenumbers.format_number(number, fmt.NATIONAL)
    international = phonenumbers.format_number(number, fmt.INTERNATIONAL)
    e164 = phonenumbers.format_number(number, fmt.E164)
    return [
        e164,
        international,
        national,
        digits_only(national),
        e164[1:],
        international.replace(" ", "-"),
        international.replace(" ", "."),
        f"00{e164[1:]}",
        f"{international} x12",
        f"{national} ext. 7",
        phonenumbers.format_number(number, fmt.RFC3966),
    ]


@settings(max_examples=150, deadline=None)
@given(numbers(), st.data())
def test_every_formatting_of_a_stored_number_is_the_number(
    number: phonenumbers.PhoneNumber, data: st.DataObject
) -> None:
    wanted = parse_phone(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    stored = data.draw(st.sampled_from(spellings_of(number)))
    region = phonenumbers.region_code_for_number(number)
    org_region = data.draw(st.sampled_from([region, "US"]))  # national spellings: own region or not
    assert same_number(stored, wanted, org_region), (stored, wanted)
    terms = search_terms(wanted.e164, org_region)
    # the digit strings cover what a CRM normalises the stored text to (extension cut)
    cut = digits_only(stored.split(" x")[0].split(" ext")[0].split(";ext")[0])
    assert any(cut == d or cut.endswith(d) for d in terms.digit_forms)


@settings(max_examples=150, deadline=None)
@given(numbers(), numbers(), st.data())
def test_different_numbers_are_not_confused(
    a: phonenumbers.PhoneNumber, b: phonenumbers.PhoneNumber, data: st.DataObject
) -> None:
    fmt = phonenumbers.PhoneNumberFormat.E164
    if phonenumbers.format_number(a, fmt) == phonenumbers.format_number(b, fmt):
        return
    wanted = parse_phone(phonenumbers.format_number(a, fmt))
    stored = data.draw(st.sampled_from(spellings_of(b)))
    assert not same_number(stored, wanted, phonenumbers.region_code_for_number(a) or "US")


def test_cache_keeps_ids_types_names_only_and_expires() -> None:
    clock = VirtualClock()
    cache = MatchCache(clock, ttl=timedelta(minutes=2))
    match = ContactMatch(
        "c1",
        "Contact",
        "Ada Lovelace",
        "(650) 555-0100",
        (Related("d1", "deal", "Renewal"),),
        "https://crm.test/c1",
    )
    cache.put("crm", "acct", "+16505550100", [match])
    kept = cache.get("crm", "acct", "+16505550100")
    assert kept == (
        ContactMatch("c1", "Contact", "Ada Lovelace", related=(Related("d1", "deal", "Renewal"),)),
    )
    assert cache.get("crm", "other", "+16505550100") is None
    clock.advance(121)
    assert cache.get("crm", "acct", "+16505550100") is None
    cache.put("crm", "acct", "+1", [match])
    cache.invalidate("crm", "acct", "+1")
    assert len(cache) == 0


def test_a_number_no_crm_can_search_for_is_a_typed_error_naming_the_field():
    assert crm_phone("Clio", "(650) 555-0100").e164 == "+16505550100"
    with pytest.raises(InvalidInput, match="Clio: cannot use 'n/a' as a phone number") as caught:
        crm_phone("Clio", "n/a")
    assert caught.value.field == "phone" and "E.164" in (caught.value.hint or "")
