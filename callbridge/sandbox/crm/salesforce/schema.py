"""The sObjects the sandbox knows, their fields and rules (from the Object Reference)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # id, string, textarea, picklist, reference, int, double, date, datetime,
    # boolean, phone, email
    length: int = 255
    picklist: tuple[str, ...] = ()
    refs: tuple[str, ...] = ()
    createable: bool = True
    updateable: bool = True
    filterable: bool = True
    external_id: bool = False


@dataclass
class SObject:
    name: str
    prefix: str
    fields: dict[str, Field]
    required: tuple[str, ...] = ()
    phone_fields: tuple[str, ...] = ()
    name_fields: tuple[str, ...] = ("Name",)
    email_fields: tuple[str, ...] = ()
    searchable: bool = True
    defaults: dict[str, str] = field(default_factory=dict)

    def lookup(self, name: str) -> Field | None:
        return self._lower().get(name.lower())

    def _lower(self) -> dict[str, Field]:
        return {k.lower(): v for k, v in self.fields.items()}


def _s(name: str, length: int = 255) -> Field:
    return Field(name, "string", length)


def _ro(name: str, kind: str = "string") -> Field:
    return Field(name, kind, createable=False, updateable=False)


SYSTEM = [_ro("Id", "id"), _ro("IsDeleted", "boolean"), _ro("CreatedDate", "datetime"),
          _ro("CreatedById", "reference"), _ro("LastModifiedDate", "datetime"),
          _ro("LastModifiedById", "reference"), _ro("SystemModstamp", "datetime")]
OWNER = Field("OwnerId", "reference", 18, refs=("User",))
TASK_STATUS = ("Not Started", "In Progress", "Completed", "Waiting on someone else", "Deferred")


def _obj(name: str, prefix: str, fields: list[Field], **kw: object) -> SObject:
    return SObject(name, prefix, {f.name: f for f in [*SYSTEM, *fields]}, **kw)  # type: ignore[arg-type]


def build_objects(custom: dict[str, list[str]], external: dict[str, list[str]]
                  ) -> dict[str, SObject]:
    """Every sObject, with an org's custom text fields and external-id fields added."""
    objects = {
        "User": _obj("User", "005", [_ro("Name"), _s("FirstName", 40), _s("LastName", 80),
                                     Field("Email", "email", 128), _s("Username", 80),
                                     Field("IsActive", "boolean"), Field("Phone", "phone", 40)],
                     phone_fields=("Phone",), email_fields=("Email",)),
        "Account": _obj("Account", "001", [_s("Name"), Field("Phone", "phone", 40),
                                           _s("Website"), _s("Type", 40), OWNER],
                        required=("Name",), phone_fields=("Phone",)),
        "Contact": _obj("Contact", "003", [
            _ro("Name"), _s("FirstName", 40), _s("LastName", 80), Field("Email", "email", 80),
            Field("Phone", "phone", 40), Field("MobilePhone", "phone", 40),
            Field("HomePhone", "phone", 40), Field("OtherPhone", "phone", 40),
            Field("AccountId", "reference", 18, refs=("Account",)), _s("Title", 128), OWNER],
            required=("LastName",), phone_fields=("Phone", "MobilePhone", "HomePhone",
                                                  "OtherPhone"), email_fields=("Email",)),
        "Lead": _obj("Lead", "00Q", [
            _ro("Name"), _s("FirstName", 40), _s("LastName", 80), _s("Company"),
            Field("Email", "email", 80), Field("Phone", "phone", 40),
            Field("MobilePhone", "phone", 40), _s("Status", 40), OWNER],
            required=("LastName", "Company"), phone_fields=("Phone", "MobilePhone"),
            email_fields=("Email",), defaults={"Status": "Open - Not Contacted"}),
        "Opportunity": _obj("Opportunity", "006", [
            _s("Name", 120), _s("StageName", 40), Field("CloseDate", "date"),
            Field("Amount", "double"), Field("AccountId", "reference", 18, refs=("Account",)),
            OWNER], required=("Name", "StageName", "CloseDate")),
        "Case": _obj("Case", "500", [
            _ro("CaseNumber"), _s("Subject"), _s("Status", 40),
            Field("Description", "textarea", 32000, filterable=False),
            Field("ContactId", "reference", 18, refs=("Contact",)),
            Field("AccountId", "reference", 18, refs=("Account",)), OWNER],
            name_fields=("Subject", "CaseNumber")),
        "Task": _obj("Task", "00T", [
            _s("Subject"), Field("Description", "textarea", 32000, filterable=False),
            Field("ActivityDate", "date"), Field("Status", "picklist", 40, TASK_STATUS),
            Field("Priority", "picklist", 40, ("High", "Normal", "Low")),
            Field("WhoId", "reference", 18, refs=("Contact", "Lead")),
            Field("WhatId", "reference", 18, refs=("Account", "Opportunity", "Case")),
            OWNER, Field("CallType", "picklist", 40, ("Inbound", "Internal", "Outbound")),
            Field("CallDurationInSeconds", "int"), _s("CallObject"), _s("CallDisposition"),
            Field("TaskSubtype", "picklist", 40, ("Task", "Email", "ListEmail", "Cadence",
                                                  "Call", "LinkedIn"), updateable=False),
            _ro("IsClosed", "boolean")],
            name_fields=("Subject",)),
        "Event": _obj("Event", "00U", [
            _s("Subject"), Field("Description", "textarea", 32000, filterable=False),
            Field("StartDateTime", "datetime"), Field("EndDateTime", "datetime"),
            Field("ActivityDateTime", "datetime"), Field("DurationInMinutes", "int"),
            Field("WhoId", "reference", 18, refs=("Contact", "Lead")),
            Field("WhatId", "reference", 18, refs=("Account", "Opportunity", "Case")), OWNER],
            name_fields=("Subject",)),
    }
    for obj_name, names in custom.items():
        for name in names:
            objects[obj_name].fields[name] = _s(name)
    for obj_name, names in external.items():
        for name in names:
            objects[obj_name].fields[name] = Field(name, "string", 255, external_id=True)
    return objects


def prefix_owner(objects: dict[str, SObject], record_id: str) -> str | None:
    """The object type an id belongs to, from its key prefix."""
    return next((o.name for o in objects.values() if record_id.startswith(o.prefix)), None)
