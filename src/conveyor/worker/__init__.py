"""Workers: the step executor and the loop that leases runs and reports results."""

from __future__ import annotations
