import pytest
from hypothesis import given
from hypothesis import strategies as st

from callbridge.domain.phone import InvalidPhoneNumber, digits_only, parse_phone


@pytest.mark.parametrize(
    ("text", "region", "e164", "ext"),
    [
        ("(650) 555-0100", "US", "+16505550100", None),
        ("+1 650-555-0100 x12", "US", "+16505550100", "12"),
        ("6505550100", "US", "+16505550100", None),
        ("650.555.0100", "US", "+16505550100", None),
        ("+44 20 7946 0958", "US", "+442079460958", None),
        ("020 7946 0958", "GB", "+442079460958", None),
        ("030 12345678", "DE", "+493012345678", None),
        ("16505550100", "US", "+16505550100", None),
    ],
)
def test_what_people_write_becomes_e164(text, region, e164, ext):
    number = parse_phone(text, region)
    assert number.e164 == e164
    assert number.extension == ext


@pytest.mark.parametrize("text", ["", "n/a", "12", "+1 650"])
def test_non_numbers_are_refused(text):
    with pytest.raises(InvalidPhoneNumber):
        parse_phone(text)


US_SUBSCRIBER = st.integers(min_value=2000000, max_value=9999999)
US_AREA = st.sampled_from([201, 212, 310, 415, 650, 917])


@given(area=US_AREA, sub=US_SUBSCRIBER)
def test_every_spelling_parses_back_to_the_same_number(area, sub):
    number = parse_phone(f"+1{area}{sub}")
    for spelling in number.spellings():
        assert parse_phone(spelling, "US").e164 == number.e164


@given(a=st.tuples(US_AREA, US_SUBSCRIBER), b=st.tuples(US_AREA, US_SUBSCRIBER))
def test_different_numbers_share_no_spelling(a, b):
    na, nb = parse_phone(f"+1{a[0]}{a[1]}"), parse_phone(f"+1{b[0]}{b[1]}")
    if na != nb:
        assert not set(na.spellings()) & set(nb.spellings())


def test_national_digits_keep_the_trunk_prefix():
    assert parse_phone("+442079460958").national_digits == "02079460958"
    assert digits_only("+1 (650) 555-0100") == "16505550100"
