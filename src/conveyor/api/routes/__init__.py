"""One module per noun; each route parses, makes one service call, and returns the result."""

from __future__ import annotations
