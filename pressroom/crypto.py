"""Encryption at rest (Fernet, with key rotation through MultiFernet)."""

from __future__ import annotations

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class Crypto:
    """Encrypts with the first key; decrypts with any (newest first) so keys can rotate."""

    def __init__(self, keys: str):
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise ValueError("no encryption key configured (PRESSROOM_ENCRYPTION_KEY)")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])
        #: The newest key: everything is encrypted with it; rotation moves old values to it.
        self.primary_key = parts[0]
        self.key_count = len(parts)

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ValueError("cannot decrypt: wrong or retired encryption key") from exc

    def rotate(self, token: str) -> str:
        """Re-encrypt ``token`` under the newest key."""
        return self._fernet.rotate(token.encode()).decode()
