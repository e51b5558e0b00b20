"""API tokens: made once, shown once, stored only as a SHA-256 hash.

Tokens are 32 random bytes, so a fast hash is as safe as a slow one here (nothing to brute-force),
and verifying one costs a single indexed lookup per request.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from conveyor.errors import BadInput, NotFound
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row

#: What each role may do; the API checks these, and a role includes the ones below it.
ROLES = ("viewer", "operator", "admin", "worker")
TOKEN_PREFIX = "cvy_"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthOps(ServiceBase):
    def create_token(self, name: str, role: str) -> tuple[int, str]:
        """A new token for ``role``; the plain token is returned here and never again."""
        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not name or len(name) > 200:
            raise BadInput("a token needs a name of at most 200 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._transaction() as tx:
            token_id = tx.insert_token(name, role, hash_token(token), self._now())
        return token_id, token

    def verify_token(self, token: str) -> Row | None:
        """The token's record (id, name, role) if it is valid and not revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        with self.store.read() as tx:
            return tx.token_by_hash(hash_token(token))

    def tokens(self) -> list[Row]:
        with self.store.read() as tx:
            return tx.tokens()

    def revoke_token(self, token_id: int) -> None:
        with self._transaction() as tx:
            if not any(t["id"] == token_id for t in tx.tokens()):
                raise NotFound(f"no token {token_id}")
            tx.revoke_token(token_id, self._now())

    def token_info(self, row: Row) -> dict[str, Any]:
        return {"id": row["id"], "name": row["name"], "role": row["role"]}
