"""The concepts of conveyor as plain typed records: no I/O, no YAML, no SQL."""

from __future__ import annotations
