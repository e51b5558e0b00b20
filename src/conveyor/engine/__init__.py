"""The scheduler: pure graph and trigger logic (``dag``, ``scheduler``) used by ``service.py``."""

from __future__ import annotations
