""" "Did you mean ...?" suggestions, with a cap on the work they may cost.

Suggesting compares a misspelt word with every candidate; with 10,000 jobs and many broken references that
would be quadratic, so a ``Suggester`` stops suggesting once it has made its allowance of comparisons.
"""

from __future__ import annotations

from collections.abc import Collection


class Suggester:
    def __init__(self, allowance: int = 200_000) -> None:
        self.allowance = allowance

    def closest(self, word: str, candidates: Collection[str]) -> str | None:
        if not candidates or len(candidates) > self.allowance:
            return None
        self.allowance -= len(candidates)
        import difflib  # only when something is misspelt: keeps start-up small

        found = difflib.get_close_matches(word, candidates, n=1, cutoff=0.6)
        return found[0] if found else None

    def did_you_mean(self, word: str, candidates: Collection[str]) -> str:
        """`` (did you mean 'x'?)`` or ""."""
        best = self.closest(word, candidates)
        return f" (did you mean {best!r}?)" if best else ""
