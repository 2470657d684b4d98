"""Seed a HubSpot sandbox: owners, contacts (many phone formats), companies and a deal."""

from __future__ import annotations

from datetime import timedelta

from callbridge.sandbox.crm._kit.seed import SEED_PEOPLE, SEED_USERS
from callbridge.sandbox.crm.hubspot.sandbox import HubSpotSandbox, Owner
from callbridge.sandbox.crm.hubspot.store import Edge


def seed(box: HubSpotSandbox) -> None:
    """Create owners for the seed users and contacts/companies/deal, already searchable."""
    past = box.core.clock.now() - timedelta(days=30)
    for index, user in enumerate(SEED_USERS):
        owner = Owner(str(41629001 + index), 9586001 + index, user.email, user.first,
                      user.last, past)
        box.owners[owner.id] = owner
    for token, (user_email, scopes) in box.config.private_app_tokens.items():
        owner_user = next((o.user_id for o in box.owners.values() if o.email == user_email), 0)
        box.core.tokens.add_static(token, str(owner_user), set(scopes))
    companies: dict[str, str] = {}
    first_owner = next(iter(box.owners))
    for person in SEED_PEOPLE:
        if person.company and person.company not in companies:
            company = box.create("companies", {"properties": {
                "name": person.company, "domain": person.email.split("@")[1],
                "hubspot_owner_id": first_owner}}, None, at=past)
            companies[person.company] = company.id
        props = {"firstname": person.first, "lastname": person.last, "email": person.email,
                 "phone": person.phone, "hubspot_owner_id": first_owner}
        if person.mobile:
            props["mobilephone"] = person.mobile
        if person.company:
            props["company"] = person.company
        contact = box.create("contacts", {"properties": props}, None, at=past)
        if person.company:
            box.store.associate(Edge("contacts", contact.id, "companies",
                                     companies[person.company], 1, "HUBSPOT_DEFINED"))
        if person.first == "Ada":
            deal = box.create("deals", {"properties": {
                "dealname": "Analytical Engine renewal", "amount": "12000",
                "dealstage": "appointmentscheduled", "pipeline": "default"}}, None, at=past)
            box.store.associate(Edge("deals", deal.id, "contacts", contact.id, 3,
                                     "HUBSPOT_DEFINED"))
