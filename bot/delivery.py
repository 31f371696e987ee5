"""Sending to Telegram within its limits, shared by reminders and broadcasts.

One token bucket for the whole bot keeps us under Telegram's ~30 messages per second; a 429
pauses every sender for `retry_after`; 403 and "chat not found" mean the client is gone.
"""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.warnings import PTBDeprecationWarning

_LOGGER = logging.getLogger(__name__)

# How often one message may meet 429 before the caller is told to try later.
MAX_FLOOD_WAITS = 10


class Outcome(Enum):
    SENT = "sent"
    BLOCKED = "blocked"  # 403 or chat gone: stop writing to this client
    RETRY = "retry"  # timeout or 5xx: try again later
    FAILED = "failed"  # Telegram rejected the message itself; retrying will not help


@dataclass(frozen=True)
class Delivery:
    outcome: Outcome
    error: str | None = None


class RateLimiter:
    """Token bucket shared by all senders; `pause` holds everyone back after a 429."""

    def __init__(self, rate: float, burst: int | None = None) -> None:
        self.rate = rate
        self.capacity = float(burst if burst is not None else max(1, int(rate)))
        self._tokens = self.capacity
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                now = time.monotonic()
                if now < self._paused_until:
                    await asyncio.sleep(self._paused_until - now)
                    continue
                self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
                self._updated = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """After a 429: nobody sends until `seconds` have passed, and then slowly again."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._tokens = 0.0
        self._updated = self._paused_until  # no refill while paused, so no burst after it


def retry_after_seconds(error: RetryAfter) -> float:
    """`retry_after` as seconds, whichever type this PTB version hands out."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def deliver(send: Callable[[], Awaitable[object]], limiter: RateLimiter) -> Delivery:
    """Send once, waiting out 429s; classify what Telegram answered."""
    for _ in range(MAX_FLOOD_WAITS):
        await limiter.acquire()
        try:
            await send()
        except RetryAfter as exc:
            limiter.pause(retry_after_seconds(exc))
            continue
        except TelegramError as exc:
            return _classify(exc)
        return Delivery(Outcome.SENT)
    return Delivery(Outcome.RETRY, "flood control kept answering 429")


def _classify(error: TelegramError) -> Delivery:
    if isinstance(error, Forbidden):
        return Delivery(Outcome.BLOCKED, error.message)
    if isinstance(error, BadRequest):
        # The chat no longer exists: as good as blocked. Anything else is our message's fault.
        gone = "chat not found" in error.message.lower()
        return Delivery(Outcome.BLOCKED if gone else Outcome.FAILED, error.message)
    # Timeouts, 5xx and other network trouble: worth another try later.
    return Delivery(Outcome.RETRY, error.message)
