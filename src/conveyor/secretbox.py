"""Encryption at rest for integrations: Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``).

The key comes from ``CONVEYOR_SECRET_KEY``: a Fernet key as ``conveyor secret keygen`` prints it, or any
other text, which is stretched into one with SHA-256 (so a passphrase from a password manager works too).
``cryptography`` is imported only here, and only when a secret is stored or read: ``conveyor run`` on a
pipeline without secrets never pays for it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import Any

from conveyor.errors import ConveyorError, SecretKeyMissing

_NO_KEY = (
    "CONVEYOR_SECRET_KEY is not set: secrets are stored encrypted and need a key. Make one with "
    "`conveyor secret keygen` and export it as CONVEYOR_SECRET_KEY (the server and `conveyor run` need the "
    "same one)"
)


class WrongSecretKey(ConveyorError):
    """The secret could not be decrypted: CONVEYOR_SECRET_KEY is not the key it was stored with."""

    code = "wrong_secret_key"
    http_status = 409
    exit_code = 2


def generate_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


def _fernet(key: str) -> Any:
    if not key:
        raise SecretKeyMissing(_NO_KEY)
    from cryptography.fernet import Fernet

    raw = key.encode()
    try:
        if len(base64.urlsafe_b64decode(raw)) == 32:
            return Fernet(raw)
    except (binascii.Error, ValueError):
        pass
    return Fernet(base64.urlsafe_b64encode(hashlib.sha256(raw).digest()))


def encrypt(values: dict[str, str], key: str) -> str:
    """The values as one Fernet token (text)."""
    data = json.dumps(values, sort_keys=True, separators=(",", ":")).encode()
    token: bytes = _fernet(key).encrypt(data)
    return token.decode()


def decrypt(payload: str, key: str, name: str = "") -> dict[str, str]:
    from cryptography.fernet import InvalidToken

    try:
        data = _fernet(key).decrypt(payload.encode())
    except InvalidToken:
        what = f"integration {name!r}" if name else "the secret"
        raise WrongSecretKey(
            f"cannot decrypt {what}: CONVEYOR_SECRET_KEY is not the key it was stored with"
        ) from None
    values: dict[str, str] = json.loads(data)
    return values
