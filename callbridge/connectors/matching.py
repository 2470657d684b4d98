"""Phone matching: what to ask a CRM for a number, how to check an answer, and a small cache.

- :func:`search_terms` gives the forms a CRM may have stored a number in: digit strings
  (with country code, national significant number, national with trunk prefix) and common
  spellings, for the per-CRM search strategies (HubSpot filter groups, Salesforce SOSL …).
- :func:`same_number` checks a stored number against the wanted one (E.164 equality after
  parsing in the organization's region, or in the wanted number's own region), so a loose CRM
  search never confuses two numbers.
- :class:`MatchCache` keeps, for a short TTL on the Clock, only what a lookup needs again:
  contact id, type and display name, and the ids/types/names of related records. Not the
  number as stored, no emails, nothing else.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import phonenumbers

from callbridge.clock import Clock
from callbridge.connectors.base import ContactMatch, InvalidInput, Related
from callbridge.domain.phone import InvalidPhoneNumber, PhoneNumber, digits_only, parse_phone

__all__ = ["MatchCache", "SearchTerms", "cached_find", "crm_phone", "same_number", "search_terms"]


def crm_phone(crm: str, phone: str, default_region: str = "US") -> PhoneNumber:
    """``phone`` parsed for a CRM call, or the CRM's typed InvalidInput naming the field and the fix."""
    try:
        return parse_phone(phone, default_region)
    except InvalidPhoneNumber as exc:
        raise InvalidInput(crm, f"cannot use {phone!r} as a phone number: {exc}.", field="phone",
                           hint="pass the number in E.164 form (+16505550100)") from None


@dataclass(frozen=True)
class SearchTerms:
    """What to search a CRM for, for one E.164 number."""

    number: PhoneNumber
    digit_forms: tuple[str, ...]  # "16505550100", "6505550100", "02079460958", "0016505550100"
    spellings: tuple[str, ...]  # "+16505550100", "(650) 555-0100", "650-555-0100" …

    @property
    def national(self) -> str:
        """The national significant number (no country code, no trunk prefix)."""
        return str(phonenumbers.parse(self.number.e164).national_number)


def search_terms(phone: str, default_region: str = "US") -> SearchTerms:
    number = parse_phone(phone, default_region)
    parsed = phonenumbers.parse(number.e164)
    international = digits_only(number.e164)
    # with country code, national significant number, national with trunk prefix, and the
    # country code behind the "00" exit code some people type ("0044 20 …")
    digit_forms = [international, str(parsed.national_number), number.national_digits, "00" + international]
    return SearchTerms(number, tuple(dict.fromkeys(digit_forms)), tuple(number.spellings()))


def same_number(stored: str, wanted: PhoneNumber, default_region: str = "US") -> bool:
    """True when ``stored`` (as a CRM holds it) is ``wanted``, whatever its formatting."""
    regions = [default_region]
    own = wanted.region
    if own and own not in regions:
        regions.append(own)
    texts = [stored]
    plain = stored.strip()
    for exit_code in ("00", "011"):  # "0044 20 …" / "011 44 20 …" written with an exit code
        if plain.startswith(exit_code) and not plain.startswith("000"):
            texts.append("+" + plain[len(exit_code):])
    for text in texts:
        for region in regions:
            try:
                if parse_phone(text, region).e164 == wanted.e164:
                    return True
            except InvalidPhoneNumber:
                continue
    return False


@dataclass(frozen=True)
class _Entry:
    matches: tuple[ContactMatch, ...]
    expires_at: datetime


def _minimal(match: ContactMatch) -> ContactMatch:
    return ContactMatch(match.id, match.type, match.name,
                        related=tuple(Related(r.id, r.type, r.name) for r in match.related))


class MatchCache:
    """Short-lived phone → matches cache, keyed by (CRM, account, E.164), TTL on the Clock."""

    def __init__(self, clock: Clock, ttl: timedelta = timedelta(minutes=5), max_entries: int = 5000) -> None:
        self.clock = clock
        self.ttl = ttl
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[str, str, str], _Entry] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def get(self, crm: str, account: str, e164: str) -> tuple[ContactMatch, ...] | None:
        key = (crm, account, e164)
        entry = self._entries.get(key)
        if entry is None or entry.expires_at <= self.clock.now():
            self._entries.pop(key, None)
            self.misses += 1
            return None
        self.hits += 1
        self._entries.move_to_end(key)
        return entry.matches

    def put(self, crm: str, account: str, e164: str, matches: Sequence[ContactMatch]) -> None:
        key = (crm, account, e164)
        self._entries[key] = _Entry(tuple(_minimal(m) for m in matches), self.clock.now() + self.ttl)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def invalidate(self, crm: str, account: str, e164: str | None = None) -> None:
        """Forget one number (after creating a contact for it) or a whole account."""
        for key in [k for k in self._entries if k[:2] == (crm, account) and e164 in (None, k[2])]:
            del self._entries[key]

    def __len__(self) -> int:
        return len(self._entries)


async def cached_find(cache: MatchCache | None, crm: str, account: str, number: PhoneNumber,
                      lookup: Callable[[], Awaitable[Sequence[ContactMatch]]]) -> Sequence[ContactMatch]:
    """``lookup()`` through the cache (when there is one)."""
    if cache is not None:
        found = cache.get(crm, account, number.e164)
        if found is not None:
            return found
    matches = await lookup()
    if cache is not None:
        cache.put(crm, account, number.e164, matches)
    return matches
