"""Telling staff: an in-app notification, and an email copy through the outbox."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from pressroom.models import Notification, User
from pressroom.services import outbox


def _in_locale(text, locale: str) -> str:
    """Render a lazy string in the recipient's language, not the sender's."""
    try:
        from flask_babel import force_locale

        with force_locale(locale):
            return str(text)
    except RuntimeError:  # no application context (a plain script)
        return str(text)


def notify(session: Session, users: Iterable[User | None], text, link: str | None, *,
           email: bool = True) -> int:
    """Notify each active user; return how many were notified."""
    count = 0
    for user in users:
        if user is None or not user.is_active:
            continue
        message = _in_locale(text, user.locale or "id")[:500]
        session.add(Notification(user_id=user.id, text=message, link=link))
        if email:
            outbox.enqueue_notice(session, user, subject=message, text=f"{message}\n\n{link or ''}".strip(),
                                  link=link)
        count += 1
    session.flush()
    return count
