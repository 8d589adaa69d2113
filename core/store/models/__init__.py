"""The domain's tables, as SQLAlchemy 2.x typed models; portable across SQLite and PostgreSQL.

Importing this package registers every table on `Base.metadata`.
"""

from core.store.models.alerts import Alert, AlertStatusChange, Delivery, Digest, Recipient
from core.store.models.base import BigId, Json, utcnow
from core.store.models.forms import FormVersion, Publication
from core.store.models.intake import (
    DeadLetter,
    Heartbeat,
    JobLock,
    PseudonymKeyCheck,
    PullCursor,
    Submission,
)
from core.store.models.registry import Institution, Wilayah
from core.store.models.scores import DomainEvent, Fact, Family, RiskAssessment, TierAssessment
from core.store.models.users import ApiToken, AuditLog, LoginFailure, User

__all__ = [
    "Alert",
    "ApiToken",
    "AlertStatusChange",
    "AuditLog",
    "BigId",
    "DeadLetter",
    "Delivery",
    "Digest",
    "DomainEvent",
    "Fact",
    "Family",
    "FormVersion",
    "Heartbeat",
    "Institution",
    "JobLock",
    "Json",
    "LoginFailure",
    "Publication",
    "PseudonymKeyCheck",
    "PullCursor",
    "Recipient",
    "RiskAssessment",
    "Submission",
    "TierAssessment",
    "User",
    "Wilayah",
    "utcnow",
]
