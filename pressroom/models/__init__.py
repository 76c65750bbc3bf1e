"""The data model: one module per aggregate. Import from here."""

from pressroom.models.audit import AuditEntry
from pressroom.models.opd import Opd
from pressroom.models.user import (
    ActingAppointment,
    LoginAttempt,
    Membership,
    RecoveryCode,
    User,
)

__all__ = [
    "ActingAppointment",
    "AuditEntry",
    "LoginAttempt",
    "Membership",
    "Opd",
    "RecoveryCode",
    "User",
]
