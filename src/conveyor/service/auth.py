"""API tokens: made once, shown once, stored only as a SHA-256 hash.

Tokens are 32 random bytes, so a fast hash is as safe as a slow one here (nothing to brute-force),
and verifying one costs a single indexed lookup.

A token found valid is trusted for ``token_cache_seconds`` (``CONVEYOR_TOKEN_CACHE_SECONDS``, 5 s)
without asking the database again, so a request usually costs no query for its token. Revoking
through this service (this server's API) takes effect at once; a revocation made elsewhere (another
replica, or ``conveyor token revoke`` on the database) within that many seconds. ``last_used_at`` is
written at most once a minute per token.
"""

from __future__ import annotations

import hashlib
import threading
from typing import Any

from conveyor.errors import BadInput, NotFound, StoreError
from conveyor.service.base import ServiceBase
from conveyor.store.base import Row

#: What each role may do; the API checks these, and a role includes the ones below it.
ROLES = ("viewer", "operator", "admin", "worker")
TOKEN_PREFIX = "cvy_"
#: ``last_used_at`` is a hint for people (``conveyor token list``): written at most this often.
TOUCH_EVERY = 60.0


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class AuthOps(ServiceBase):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: token hash -> (when it was found valid, its row); only valid tokens are kept
        self._token_cache: dict[str, tuple[float, Row]] = {}
        #: bumped by each revocation here: a lookup that began before one is not cached
        self._token_generation = 0
        self._token_lock = threading.Lock()

    def create_token(self, name: str, role: str) -> tuple[int, str]:
        """A new token for ``role``; the plain token is returned here and never again."""
        import secrets  # here, not at the top: it costs every command's start-up

        if role not in ROLES:
            raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
        if not name or len(name) > 200:
            raise BadInput("a token needs a name of at most 200 characters")
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self._transaction() as tx:
            token_id = tx.insert_token(name, role, hash_token(token), self._now())
        return token_id, token

    def cached_token(self, token: str) -> Row | None:
        """The token's record if it was found valid less than ``token_cache_seconds`` ago; else
        None, and the caller asks ``verify_token`` (which may read the database)."""
        entry = self._token_cache.get(hash_token(token))
        if entry is None:
            return None
        age = self._now() - entry[0]
        return entry[1] if 0 <= age < self.settings.token_cache_seconds else None

    def verify_token(self, token: str) -> Row | None:
        """The token's record (id, name, role) if it is valid and not revoked."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
            return None
        digest = hash_token(token)
        generation = self._token_generation
        with self.store.read() as tx:
            row = tx.token_by_hash(digest)
        if row is None:
            self._token_cache.pop(digest, None)
            return None
        now = self._now()
        if not row["last_used_at"] or not 0 <= now - row["last_used_at"] < TOUCH_EVERY:
            try:
                with self._transaction() as tx:
                    tx.touch_token(row["id"], now)
            except StoreError:  # a hint for people: never a reason to refuse the request
                pass
        info = {"id": row["id"], "name": row["name"], "role": row["role"]}
        with self._token_lock:
            if generation == self._token_generation:
                self._token_cache[digest] = (now, info)
        return info

    def tokens(self) -> list[Row]:
        with self.store.read() as tx:
            return tx.tokens()

    def revoke_token(self, token_id: int) -> None:
        with self._transaction() as tx:
            if not any(t["id"] == token_id for t in tx.tokens()):
                raise NotFound(f"no token {token_id}")
            tx.revoke_token(token_id, self._now())
        with self._token_lock:
            self._token_generation += 1
            for digest, (_, row) in list(self._token_cache.items()):
                if row["id"] == token_id:
                    del self._token_cache[digest]

    def token_info(self, row: Row) -> dict[str, Any]:
        return {"id": row["id"], "name": row["name"], "role": row["role"]}
