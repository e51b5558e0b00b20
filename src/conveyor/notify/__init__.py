"""Notifications: run events (started, succeeded, failed, cancelled, waiting for approval) sent to
webhooks (signed JSON), Slack-style incoming webhooks and email, behind one small protocol (``base.py``).

Delivery is an outbox: the service turns run events into ``notify_deliveries`` rows, and a background
``Dispatcher`` (in the server, and in ``conveyor run``) sends them, retrying with backoff. A run never waits
for a notification, and a failed one is only an event (``notify.failed``). Nothing here is imported until a
pipeline has notifiers.
"""

from __future__ import annotations
