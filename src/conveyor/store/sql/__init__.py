"""SQLite and PostgreSQL behind one ``SqlStore``: named SQL per dialect, versioned migrations."""

from __future__ import annotations
