"""The live pages' stream: Server-Sent Events that send a page part again whenever what it shows may have
changed. One loop serves every live page; each names the cheap mark that changes with its data (a few
indexed reads) and how to render the part the browser swaps in (``static/ui.js``).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Hashable
from typing import Annotated

from fastapi import Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse

from conveyor.api.auth import check_token
from conveyor.service import Service
from conveyor.web.session import SESSION_COOKIE

log = logging.getLogger("conveyor.web")

#: The ``?mark=`` a live page's stream is opened with (``token``).
Mark = Annotated[str | None, Query(max_length=64)]
#: How often a live page's stream looks for changes (three indexed reads when nothing changed).
POLL_SECONDS = 0.5
#: A comment line this often keeps proxies from closing an idle stream.
PING_SECONDS = 15.0
#: The session is checked again this often, so a revoked token stops its open pages too.
RECHECK_SECONDS = 30.0


def token(mark: Hashable) -> str:
    """A mark as the page hands it to its stream (``?mark=``): the stream then sends nothing until the
    data moves on from what the page was rendered from (a page view costs one rendering, not two)."""
    return hashlib.sha256(repr(mark).encode()).hexdigest()[:16]


def stream(body: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(
        body, media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def changes(
    request: Request,
    service: Service,
    mark: Callable[[], Hashable],
    render: Callable[[], str],
    event: str,
    what: str,
    shown: str | None = None,
) -> AsyncIterator[str]:
    """``event`` with ``render()`` (one line of JSON) each time ``mark()`` moves and the rendering differs
    from the last one sent; ``gone`` (the page reloads) when the session or the thing itself is gone.
    ``shown`` is the ``token`` of the mark the page was rendered from: while it holds, nothing is sent."""
    loop = asyncio.get_running_loop()
    seen: Hashable = None
    first = True
    sent = ""
    last_sent = checked = loop.time()
    session = request.cookies.get(SESSION_COOKIE, "")
    yield "retry: 2000\n\n"
    while not service.closing.is_set():
        now = loop.time()
        try:
            if now - checked > RECHECK_SECONDS:
                await run_in_threadpool(check_token, request, session, "viewer")
                checked = now
            current = await run_in_threadpool(mark)
            if first and shown is not None and token(current) == shown:
                seen = current  # the page shows this already
            first = False
            if current != seen:
                seen = current
                data = await run_in_threadpool(render)
                if data != sent:
                    sent = data
                    last_sent = now
                    yield f"event: {event}\ndata: {data}\n\n"
            if now - last_sent > PING_SECONDS:
                last_sent = now
                yield ": ping\n\n"
        except Exception:  # a revoked token, a removed pipeline, a database error: the page reloads
            log.warning("live stream of %s ended", what, exc_info=True)
            yield "event: gone\ndata: reload\n\n"
            return
        if await request.is_disconnected():
            return
        await asyncio.sleep(POLL_SECONDS)
