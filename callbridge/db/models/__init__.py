"""All tables; importing this module registers every model on ``Base.metadata``."""

from callbridge.db.models.archive import (
    ArchiveCursor,
    ArchivedCall,
    ArchivedCallLeg,
    ArchivedMessage,
    ArchivedObject,
)
from callbridge.db.models.audit import AuditEntry
from callbridge.db.models.clock import VirtualClockState
from callbridge.db.models.communications import (
    CommunicationRow,
    InboxEvent,
    IngestCursor,
    WebhookSubscription,
)
from callbridge.db.models.directory import DirectoryEntry
from callbridge.db.models.jobs import AppliedEffect, DeadLetter, Job, JobStatus
from callbridge.db.models.logging import (
    ActivityStatus,
    ChosenConversation,
    ConnectionStatus,
    CrmActivity,
    CrmConnection,
    LoggingPreference,
    PlaceholderContact,
)
from callbridge.db.models.privacy import DeletionReceipt, DeletionRequest, SupportSession
from callbridge.db.models.ratelimit import RateBudgetRow
from callbridge.db.models.tenancy import ApiToken, Membership, Organization, Role, User
from callbridge.db.models.vault import SealedSecret

__all__ = [
    "ActivityStatus",
    "ApiToken",
    "AppliedEffect",
    "ArchiveCursor",
    "ArchivedCall",
    "ArchivedCallLeg",
    "ArchivedMessage",
    "ArchivedObject",
    "AuditEntry",
    "ChosenConversation",
    "CommunicationRow",
    "ConnectionStatus",
    "CrmActivity",
    "CrmConnection",
    "DeadLetter",
    "DeletionReceipt",
    "DeletionRequest",
    "DirectoryEntry",
    "InboxEvent",
    "IngestCursor",
    "Job",
    "JobStatus",
    "LoggingPreference",
    "Membership",
    "Organization",
    "PlaceholderContact",
    "RateBudgetRow",
    "Role",
    "SealedSecret",
    "SupportSession",
    "User",
    "VirtualClockState",
    "WebhookSubscription",
]
