"""Domain operations. They take a session and plain values, flush, and never commit."""

from __future__ import annotations


class ValidationError(Exception):
    """Input a person must correct: ``errors`` maps a field name (or "") to a message."""

    def __init__(self, errors: dict[str, object]):
        super().__init__(errors)
        self.errors = errors

    @classmethod
    def one(cls, field: str, message: object) -> ValidationError:
        return cls({field: message})
