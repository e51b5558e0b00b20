"""Secret values masked in log bytes, however the stream is cut into chunks."""

from __future__ import annotations

import pytest

from conveyor.worker.masking import Masker

SECRET = "hunter2-very-secret"
LOG = f"start\ntoken={SECRET} and again {SECRET}\nend {SECRET}".encode()
MASKED = b"start\ntoken=*** and again ***\nend ***"


def _stream(masker: Masker, chunks: list[bytes]) -> bytes:
    out = b"".join(masker.feed(c) for c in chunks)
    return out + masker.feed(b"", final=True)


def test_whole_log_in_one_chunk() -> None:
    assert Masker([SECRET]).feed(LOG, final=True) == MASKED


@pytest.mark.parametrize("cut", range(1, len(LOG)))
def test_every_split_into_two_chunks_is_masked(cut: int) -> None:
    masker = Masker([SECRET])
    first = masker.feed(LOG[:cut])
    assert SECRET.encode() not in first
    assert first + masker.feed(LOG[cut:], final=True) == MASKED


def test_one_byte_chunks() -> None:
    chunks = [LOG[i : i + 1] for i in range(len(LOG))]
    assert _stream(Masker([SECRET]), chunks) == MASKED


def test_what_only_looks_like_a_start_is_released_at_the_end() -> None:
    masker = Masker([SECRET])
    assert masker.feed(b"ends with hunt") == b"ends with "
    assert masker.feed(b"", final=True) == b"hunt"


def test_held_back_prefix_that_turns_out_harmless_comes_out_with_the_next_chunk() -> None:
    masker = Masker([SECRET])
    assert masker.feed(b"a hunter") == b"a "
    assert masker.feed(b" b\n") == b"hunter b\n"


def test_several_values_longest_first_and_lines_of_multiline_values() -> None:
    masker = Masker(["abcdef", "abc", "line-one\nline-two"])
    out = masker.feed(b"abcdef abc xyz line-two", final=True)
    assert out == b"*** *** xyz ***"


def test_short_values_are_not_masked() -> None:
    assert Masker(["on", "1"]).feed(b"on 1 on", final=True) == b"on 1 on"
    assert not Masker(["no"])


def test_text_masks_a_whole_string() -> None:
    masker = Masker([SECRET])
    assert masker.text(f"failed with {SECRET}") == "failed with ***"


def test_for_env_masks_only_the_named_variables() -> None:
    masker = Masker.for_env({"TOKEN": "s3cr3t!", "HOME": "/home/me"}, ["TOKEN"])
    assert masker.feed(b"s3cr3t! /home/me", final=True) == b"*** /home/me"
