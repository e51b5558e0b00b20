"""Durations as written in pipeline files."""

from __future__ import annotations

import pytest

from conveyor.definitions.durations import parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("500ms", 0.5),
        ("2h", 7200.0),
        ("1d", 86400.0),
        ("1d2h3m4s5ms", 93784.005),
        ("1.5h", 5400.0),
        ("90", 90.0),
        ("0.25", 0.25),
        (" 10s ", 10.0),
    ],
)
def test_accepted(text: str, seconds: float) -> None:
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "s",
        "5 m",
        "5M",
        "5min",
        "30m1h",
        "5m5m",
        "-5s",
        "+5s",
        "1e3",
        "nan",
        "inf",
        "5m ago",
        ".5s",
        "5.s",
    ],
)
def test_rejected_with_examples(text: str) -> None:
    with pytest.raises(ValueError, match=r"invalid duration .*: write it like 30s, 5m, 1h30m, 500ms, 2h, 1d"):
        parse_duration(text)


@pytest.mark.parametrize("text", ["0", "0s", "0.0", "0h0m", "0ms"])
def test_zero_is_rejected(text: str) -> None:
    with pytest.raises(ValueError, match=r"it must be more than zero, like 30s"):
        parse_duration(text)
