"""People and users every sandbox seeds, with phone numbers in real-world formats."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SeedPerson:
    first: str
    last: str
    email: str
    phone: str
    mobile: str | None = None
    company: str | None = None


@dataclass(frozen=True)
class SeedUser:
    first: str
    last: str
    email: str
    admin: bool = False


SEED_USERS: tuple[SeedUser, ...] = (
    SeedUser("Alice", "Admin", "alice@callbridge.test", admin=True),
    SeedUser("Bob", "Rep", "bob@callbridge.test"),
    SeedUser("Carol", "Agent", "carol@callbridge.test"),
)

# (650) 555-0100 is shared by two people on purpose (a many-match); 650-555-0101 is unique;
# 650-555-0199 belongs to nobody (a no-match).
SEED_PEOPLE: tuple[SeedPerson, ...] = (
    SeedPerson("Ada", "Lovelace", "ada@example.com", "(650) 555-0100", company="Analytical Ltd"),
    SeedPerson("Byron", "Lovelace", "byron@example.com", "(650) 555-0100"),
    SeedPerson("Grace", "Hopper", "grace@example.com", "+1 650-555-0102 x12",
               company="Cobol Inc"),
    SeedPerson("Alan", "Turing", "alan@example.com", "6505550101"),
    SeedPerson("Tim", "Berners-Lee", "tim@example.co.uk", "+44 20 7946 0958",
               company="Web Works"),
    SeedPerson("Ravi", "Kumar", "ravi@example.co.uk", "020 7946 0959"),
    SeedPerson("Jane", "Doe", "jane@example.com", "650.555.0103", mobile="+1 (415) 555-0198"),
    SeedPerson("Hans", "Muster", "hans@example.de", "030 12345678"),
    SeedPerson("Marie", "Curie", "marie@example.fr", "+33 1 23 45 67 89"),
)
