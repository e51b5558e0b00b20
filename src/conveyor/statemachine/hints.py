""" "Did you mean ...?" for misspelt field names and state names.

A copy of the idea in ``conveyor.definitions.hints`` rather than an import of it: importing that package
loads PyYAML, and validating a state machine must not pay for a YAML parser it does not use.
"""

from __future__ import annotations

from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean "x"?)`` for the closest candidate, or ""."""
    import difflib  # only when something is misspelt

    found = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    return f' (did you mean "{found[0]}"?)' if found else ""
