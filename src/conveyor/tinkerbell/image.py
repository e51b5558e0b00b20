"""Is an action's ``image`` a Docker image reference? (docker/distribution ``ParseNormalizedNamed``.)

tink refuses a template whose image does not parse (``invalid action image: <img>``, FACTS 1.2), so the
same grammar decides here: ``name[:tag][@digest]``, lowercase repository paths, an optional registry
domain, at most 255 characters of name after normalisation (``bash`` counts as
``docker.io/library/bash``), and no bare 64-hex string. The separator rule is written without the
empty alternative of the original grammar (``[-]*``), which makes Python's backtracking engine
exponential on long names; the language matched is the same.
"""

from __future__ import annotations

import re

_ALNUM = r"[a-z0-9]+"
_COMPONENT = rf"{_ALNUM}(?:(?:[._]|__|-+){_ALNUM})*"
_DOMAIN_PART = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_DOMAIN = rf"{_DOMAIN_PART}(?:\.{_DOMAIN_PART})*(?::[0-9]+)?"
_NAME = rf"(?:{_DOMAIN}/)?{_COMPONENT}(?:/{_COMPONENT})*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
_REFERENCE = re.compile(rf"({_NAME})(?::({_TAG}))?(?:@({_DIGEST}))?", re.ASCII)
_BARE_ID = re.compile(r"[a-f0-9]{64}", re.ASCII)

#: Digest algorithms go-digest knows, and the length of their lowercase hex.
_DIGEST_HEX = {"sha256": 64, "sha384": 96, "sha512": 128}
_LOWER_HEX = re.compile(r"[a-f0-9]+", re.ASCII)
NAME_TOTAL_LENGTH_MAX = 255
#: Longer than any valid reference can be (name + tag + the longest digest); refused before any regex.
_MAX_TEXT = NAME_TOTAL_LENGTH_MAX + 1 + 128 + 1 + 7 + 128


def is_valid_image(image: str) -> bool:
    """True when Docker would accept ``image`` as a (normalised) named reference."""
    if not image or len(image) > _MAX_TEXT or _BARE_ID.fullmatch(image):
        return False
    domain, remainder = _split_domain(image)
    remote = remainder.split(":", 1)[0]
    if remote.lower() != remote:
        return False
    match = _REFERENCE.fullmatch(f"{domain}/{remainder}")
    if match is None or len(match.group(1)) > NAME_TOTAL_LENGTH_MAX:
        return False
    digest = match.group(3)
    if digest is None:
        return True
    algorithm, _, hex_part = digest.partition(":")
    return _DIGEST_HEX.get(algorithm) == len(hex_part) and _LOWER_HEX.fullmatch(hex_part) is not None


def _split_domain(name: str) -> tuple[str, str]:
    """``splitDockerDomain``: the registry part, defaulting to Docker Hub and its ``library/``."""
    slash = name.find("/")
    if slash == -1 or (not any(c in name[:slash] for c in ".:") and name[:slash] != "localhost"):
        domain, remainder = "docker.io", name
    else:
        domain, remainder = name[:slash], name[slash + 1 :]
    if domain == "index.docker.io":
        domain = "docker.io"
    if domain == "docker.io" and "/" not in remainder:
        remainder = "library/" + remainder
    return domain, remainder
