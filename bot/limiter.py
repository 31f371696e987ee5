"""The one rate limiter in front of Telegram.

Three token buckets: all messages together stay under Telegram's ~30 per second; bulk
messages (reminders and broadcasts) at most BROADCAST_RATE per second, so that replies to
people who are typing always find room; and each chat about one per second, with a short
burst so that a reply of two or three messages is not held back. A 429 pauses everyone
(and that chat) for `retry_after`. Physical time (`time.monotonic`), not the bot's clock:
the sandbox's time travel must not change how fast Telegram lets us send.
"""

from __future__ import annotations

import asyncio
import time

from storage.outbox import BULK

# Telegram's documented ceilings.
GLOBAL_RATE = 30.0
CHAT_RATE = 1.0
CHAT_BURST = 3
# Per-chat buckets idle this long are forgotten (they would be full again anyway).
_IDLE_CHAT_SECONDS = 120.0


class TokenBucket:
    def __init__(self, rate: float, burst: float) -> None:
        self.rate = rate
        self.capacity = burst
        self._tokens = burst
        self._updated = time.monotonic()
        self._paused_until = 0.0
        self.last_used = self._updated

    async def take(self) -> None:
        """Wait until a token is free, and take it."""
        while True:
            now = time.monotonic()
            if now < self._paused_until:
                await asyncio.sleep(self._paused_until - now)
                continue
            self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
            self._updated = now
            if self._tokens >= 1:
                self._tokens -= 1
                self.last_used = now
                return
            await asyncio.sleep((1 - self._tokens) / self.rate)

    def pause(self, seconds: float) -> None:
        """Nothing until `seconds` have passed, and then no saved-up burst."""
        self._paused_until = max(self._paused_until, time.monotonic() + seconds)
        self._tokens = 0.0
        self._updated = self._paused_until


class Limiter:
    def __init__(
        self,
        bulk_rate: float,
        *,
        global_rate: float = GLOBAL_RATE,
        chat_rate: float = CHAT_RATE,
        chat_burst: int = CHAT_BURST,
    ) -> None:
        # Burst 1 overall: after a quiet spell, a saved-up burst on top of the rate would
        # exceed Telegram's ~30 per second.
        self._global = TokenBucket(global_rate, 1)
        self._bulk = TokenBucket(min(bulk_rate, global_rate), 1)
        self._chat_rate = chat_rate
        self._chat_burst = chat_burst
        self._chats: dict[int, TokenBucket] = {}
        self._global_lock = asyncio.Lock()
        self._bulk_lock = asyncio.Lock()

    async def acquire(self, chat_id: int, lane: str) -> None:
        """Wait for this chat's turn, the bulk lane's (for bulk rows), then everyone's."""
        # Only the chat's own worker sends to a chat, one message at a time: no lock needed.
        await self._chat(chat_id).take()
        if lane == BULK:
            async with self._bulk_lock:
                await self._bulk.take()
        async with self._global_lock:
            await self._global.take()

    def pause(self, seconds: float, chat_id: int | None = None) -> None:
        """After a 429: everybody waits `seconds` (and that chat too)."""
        self._global.pause(seconds)
        if chat_id is not None:
            self._chat(chat_id).pause(seconds)

    def _chat(self, chat_id: int) -> TokenBucket:
        bucket = self._chats.get(chat_id)
        if bucket is None:
            if len(self._chats) > 1000:
                self._forget_idle()
            bucket = self._chats[chat_id] = TokenBucket(self._chat_rate, self._chat_burst)
        return bucket

    def _forget_idle(self) -> None:
        cutoff = time.monotonic() - _IDLE_CHAT_SECONDS
        for chat_id in [c for c, b in self._chats.items() if b.last_used < cutoff]:
            del self._chats[chat_id]
