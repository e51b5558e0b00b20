"""Resource versions: immutable, numbered per resource, identified by a SHA-256 of canonical content."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from conveyor.model.pipeline import canonical_json


def version_digest(properties: Mapping[str, str], files: Mapping[str, str]) -> str:
    """SHA-256 over the canonical JSON of properties and file digests (path -> sha256 of content)."""
    content = {"properties": dict(properties), "files": dict(files)}
    return hashlib.sha256(canonical_json(content).encode()).hexdigest()


def blob_digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
