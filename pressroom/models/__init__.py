"""The data model: one module per aggregate. Import from here."""

from pressroom.models.approval import ApprovalDecision, Notification
from pressroom.models.audit import AuditEntry
from pressroom.models.dataset import ApiToken, Dataset, DatasetImage, DatasetVersion
from pressroom.models.journalist import (
    Beat,
    Consent,
    ImportBatch,
    Journalist,
    JournalistBeat,
    JournalistEmail,
    JournalistOpd,
    JournalistPhone,
    JournalistRegion,
    Outlet,
    Region,
)
from pressroom.models.opd import Opd
from pressroom.models.outbox import Delivery
from pressroom.models.post import Post, PostComment, PostImage, PostTarget, SendingStop, SocialAccount
from pressroom.models.user import (
    ActingAppointment,
    LoginAttempt,
    Membership,
    RecoveryCode,
    User,
)

__all__ = [
    "ActingAppointment",
    "ApiToken",
    "Dataset",
    "DatasetImage",
    "DatasetVersion",
    "ApprovalDecision",
    "AuditEntry",
    "Delivery",
    "Notification",
    "Post",
    "PostComment",
    "PostImage",
    "PostTarget",
    "SendingStop",
    "SocialAccount",
    "Beat",
    "Consent",
    "ImportBatch",
    "Journalist",
    "JournalistBeat",
    "JournalistEmail",
    "JournalistOpd",
    "JournalistPhone",
    "JournalistRegion",
    "Outlet",
    "Region",
    "LoginAttempt",
    "Membership",
    "Opd",
    "RecoveryCode",
    "User",
]
