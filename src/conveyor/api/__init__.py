"""The HTTP API: an app factory, one error mapping, auth, and one route module per noun."""

from __future__ import annotations
