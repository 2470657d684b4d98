"""Seed a Salesforce sandbox: users, accounts, contacts and leads (many phone formats)."""

from __future__ import annotations

from datetime import timedelta

from callbridge.sandbox.crm._kit.seed import SEED_PEOPLE, SEED_USERS
from callbridge.sandbox.crm.salesforce.sandbox import SalesforceSandbox


def seed(box: SalesforceSandbox) -> None:
    """Users for the seed users; people as Contacts (Ravi and Hans as Leads); one Opportunity."""
    past = box.core.clock.now() - timedelta(days=30)
    store, objects = box.store, box.objects
    admin = ""
    for user in SEED_USERS:
        record = store.insert(objects["User"], {
            "FirstName": user.first, "LastName": user.last, "Email": user.email,
            "Username": user.email, "IsActive": True}, past, admin)
        admin = admin or record.id
    accounts: dict[str, str] = {}
    for person in SEED_PEOPLE:
        if person.company and person.company not in accounts:
            accounts[person.company] = store.insert(
                objects["Account"], {"Name": person.company}, past, admin).id
        if person.first in ("Ravi", "Hans"):
            store.insert(objects["Lead"], {
                "FirstName": person.first, "LastName": person.last, "Email": person.email,
                "Phone": person.phone, "Company": "Unknown"}, past, admin)
            continue
        contact = {"FirstName": person.first, "LastName": person.last, "Email": person.email,
                   "Phone": person.phone, "MobilePhone": person.mobile,
                   "AccountId": accounts.get(person.company or "")}
        store.insert(objects["Contact"], contact, past, admin)
    store.insert(objects["Opportunity"], {
        "Name": "Analytical Engine renewal", "StageName": "Prospecting",
        "CloseDate": "2026-03-31", "AccountId": accounts["Analytical Ltd"]}, past, admin)
