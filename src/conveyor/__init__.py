"""conveyor: stateful assembly lines of versioned resources, jobs, runs and state."""

from __future__ import annotations

__version__ = "0.1.0"
