"""Phone numbers: E.164 everywhere, and the other spellings a CRM may have stored."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

__all__ = ["InvalidPhoneNumber", "PhoneNumber", "digits_only", "parse_phone"]


class InvalidPhoneNumber(ValueError):
    """The text is not a phone number we can place in a country."""


@dataclass(frozen=True)
class PhoneNumber:
    """A number in E.164 form (``+16505550100``), with its extension if one was given."""

    e164: str
    extension: str | None = None

    @property
    def region(self) -> str | None:
        return phonenumbers.region_code_for_number(phonenumbers.parse(self.e164))

    @property
    def national_digits(self) -> str:
        """Digits as dialled nationally, trunk prefix included (``6505550100``, ``02079460958``)."""
        parsed = phonenumbers.parse(self.e164)
        return digits_only(phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL))

    def spellings(self) -> list[str]:
        """Forms a person or a CRM commonly stores, most specific first, without duplicates."""
        parsed = phonenumbers.parse(self.e164)
        national = phonenumbers.format_number(parsed, PhoneNumberFormat.NATIONAL)
        international = phonenumbers.format_number(parsed, PhoneNumberFormat.INTERNATIONAL)
        forms = [
            self.e164,
            self.e164[1:],
            international,
            national,
            self.national_digits,
            str(parsed.national_number),
        ]
        if parsed.country_code == 1:
            n = str(parsed.national_number)
            forms += [f"{n[:3]}-{n[3:6]}-{n[6:]}", f"{n[:3]}.{n[3:6]}.{n[6:]}", f"1{n}"]
        return list(dict.fromkeys(forms))

    def __str__(self) -> str:
        return self.e164 if not self.extension else f"{self.e164};ext={self.extension}"


def digits_only(text: str) -> str:
    return re.sub(r"\D", "", text)


def parse_phone(text: str, default_region: str = "US") -> PhoneNumber:
    """Parse what a person or a CRM wrote (``(650) 555-0100``, ``+1 650-555-0100 x12``, …)."""
    raw = text.strip()
    if not raw or not digits_only(raw):
        raise InvalidPhoneNumber(f"{text!r} has no digits")
    try:
        parsed = phonenumbers.parse(raw, default_region.upper())
    except NumberParseException as exc:
        raise InvalidPhoneNumber(f"{text!r} is not a phone number: {exc}") from None
    if not phonenumbers.is_possible_number(parsed):
        raise InvalidPhoneNumber(f"{text!r} has the wrong number of digits for its country")
    e164 = phonenumbers.format_number(parsed, PhoneNumberFormat.E164)
    return PhoneNumber(e164, parsed.extension or None)
