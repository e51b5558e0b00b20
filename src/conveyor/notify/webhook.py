"""Webhooks: a JSON POST signed with HMAC-SHA256, and Slack-style incoming webhooks (``{"text": ...}``).

The signature header is ``X-Conveyor-Signature: sha256=<hex HMAC of the exact body>`` (GitHub's shape),
keyed with the notifier's ``secret``, so a receiver can check that the body came from this conveyor and was
not changed. stdlib ``urllib``: a notification is one small POST, not worth a client's import time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import urllib.error
import urllib.request

from conveyor import __version__
from conveyor.notify.base import DeliveryError, Message, Notifier, Target

SIGNATURE_HEADER = "X-Conveyor-Signature"
TIMEOUT = 10.0


def signature(secret: str, body: bytes) -> str:
    """The header value for ``body``: ``sha256=`` and the hex HMAC-SHA256 keyed with ``secret``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does: compare in constant time."""
    return hmac.compare_digest(signature(secret, body), header)


def post(url: str, body: bytes, headers: dict[str, str]) -> None:
    if not url.startswith(("http://", "https://")):
        raise DeliveryError("the notifier's url is not an http(s) URL")
    request = urllib.request.Request(url, data=body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("User-Agent", f"conveyor/{__version__}")
    for key, value in headers.items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"the endpoint answered HTTP {exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"the endpoint could not be reached: {reason}") from None


class WebhookNotifier:
    def send(self, message: Message, target: Target) -> None:
        body = json.dumps(message.to_json(), separators=(",", ":")).encode()
        headers = {"X-Conveyor-Event": message.event, "X-Conveyor-Delivery": str(message.delivery)}
        if target.secret:
            headers[SIGNATURE_HEADER] = signature(target.secret, body)
        post(target.url, body, headers)


class SlackNotifier:
    def send(self, message: Message, target: Target) -> None:
        post(target.url, json.dumps({"text": message.text}).encode(), {})


NOTIFIERS: dict[str, Notifier] = {"webhook": WebhookNotifier(), "slack": SlackNotifier()}
