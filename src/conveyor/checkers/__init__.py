"""The I/O behind resources that make versions by themselves (a git poll); the rules are in
``engine/checks.py`` and the bookkeeping in ``service/checks.py``."""

from __future__ import annotations
