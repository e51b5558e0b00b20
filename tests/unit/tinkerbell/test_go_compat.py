"""The Go behaviours copied for compatibility: Docker image references, ``%v`` and ``%q`` printing."""

from __future__ import annotations

import time

import pytest

from conveyor.tinkerbell import is_valid_image
from conveyor.tinkerbell.gofmt import float_text, quote, value_text

DIGEST = "sha256:" + "a" * 64


@pytest.mark.parametrize(
    "image",
    [
        "hello-world",
        "bash",
        "update-data",
        "image2disk:v1.0.0",
        "quay.io/tinkerbell-actions/image2disk:v1.0.0",
        "localhost:5000/a/b",
        "localhost/a",
        "docker.io/library/bash:5",
        "a__b",
        "a---b.c_d",
        "Quay.IO/x/y",
        f"bash@{DIGEST}",
        f"bash:5@{DIGEST}",
        "x" * 237,  # docker.io/library/ + 237 = 255
    ],
)
def test_valid_images(image: str) -> None:
    assert is_valid_image(image)


@pytest.mark.parametrize(
    "image",
    [
        "",
        "action-image-with-$#@-",
        "UPPER",
        "Not/Valid",
        "f" * 64,  # a bare 64-hex id
        "a___b",
        "-a",
        "a-",
        "a:",
        "a:-tag",
        "a@sha256:abc",
        "a@md5:" + "a" * 32,
        "a@sha256:" + "A" * 64,
        "x" * 238,
        "a b",
        "a//b",
        "a:" + "t" * 129,
    ],
)
def test_invalid_images(image: str) -> None:
    assert not is_valid_image(image)


def test_image_checks_stay_linear_on_hostile_input() -> None:
    started = time.perf_counter()
    for text in ("a" * 200 + "!", "a-" * 100 + "!", "a." * 120 + "A", "a" * 10_000):
        assert not is_valid_image(text)
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (1.5, "1.5"),
        (123456.0, "123456"),
        (1000000.0, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (-2.5e-7, "-2.5e-07"),
        (1e21, "1e+21"),
        (12345678901234567890.0, "1.2345678901234567e+19"),
    ],
)
def test_floats_print_as_go_percent_v(value: float, expected: str) -> None:
    assert float_text(value) == expected


def test_values_print_as_go_percent_v() -> None:
    assert value_text({"b": [1.0, None, "s"], "a": {"x": True}}) == "map[a:map[x:true] b:[1 <nil> s]]"
    assert value_text(None) == "<no value>"
    assert value_text("text") == "text"


def test_quote_is_go_strconv_quote() -> None:
    assert quote('a"b\\c\n\t\x00é\u2028') == '"a\\"b\\\\c\\n\\t\\x00é\\u2028"'
