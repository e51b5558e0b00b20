"""The command line: thin modules that parse, call ``service.py``, and format."""

from __future__ import annotations
