"""Small asyncio helpers shared by the background loops."""

from __future__ import annotations

import asyncio


async def wait_any(*events: asyncio.Event, seconds: float) -> bool:
    """Wait until one of `events` is set or `seconds` pass; True when one is set."""
    if any(event.is_set() for event in events):
        return True
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=max(seconds, 0.0), return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
    return any(event.is_set() for event in events)
