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

# Telegram's documented ceiling over all chats (per chat: the settings CHAT_RATE and
# CHAT_BURST, bot/config.py).
GLOBAL_RATE = 30.0
# Per-chat buckets idle this long are forgotten (they would be full again anyway).
_IDLE_CHAT_SECONDS = 120.0
# Telegram counts a message when it arrives, the bucket when it lets it go: a message that
# waited on its way (for a new connection, or a busy event loop) can arrive right behind the
# next one. So an empty chat bucket waits this much longer once (the time is kept, so the
# rate stays the same).
CHAT_MARGIN = 0.1


class TokenBucket:
    def __init__(self, rate: float, burst: float, margin: float = 0.0) -> None:
        self.rate = rate
        self.capacity = burst
        self.margin = margin  # seconds of extra wait when empty (see CHAT_MARGIN)
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
            # The margin refills too: the next message keeps its distance to this one.
            await asyncio.sleep((1 - self._tokens) / self.rate + self.margin)

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
        chat_rate: float,
        chat_burst: int,
    ) -> None:
        # Burst 1 overall: after a quiet spell, a saved-up burst on top of the rate would
        # exceed Telegram's ~30 per second.
        self._global = TokenBucket(global_rate, 1)
        self._bulk = TokenBucket(min(bulk_rate, global_rate), 1)
        self._chat_rate = chat_rate
        self._chat_burst = chat_burst
        self._chats: dict[int, TokenBucket] = {}
        self._next_forget = 0.0  # monotonic time of the next look for idle chats
        self._global_lock = asyncio.Lock()
        self._bulk_lock = asyncio.Lock()

    async def acquire(self, chat_id: int, lane: str) -> None:
        """Wait for this chat's turn, the bulk lane's (for bulk rows), then everyone's."""
        # Only the chat's own worker sends to a chat, one message at a time: no lock needed.
        await self._chat(chat_id).take()
        if lane == BULK:
            # One bulk message at a time waits for everyone's bucket, the others behind the
            # bulk lock: a reply then waits behind one bulk message at most, however far
            # a broadcast is ahead of what the whole lets through.
            async with self._bulk_lock:
                await self._bulk.take()
                await self._take_global()
        else:
            await self._take_global()

    async def _take_global(self) -> None:
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
            if len(self._chats) > 1000 and time.monotonic() >= self._next_forget:
                # Not at every new chat: a broadcast to 5,000 would look 4,000 times.
                self._forget_idle()
                self._next_forget = time.monotonic() + _IDLE_CHAT_SECONDS / 4
            bucket = self._chats[chat_id] = TokenBucket(
                self._chat_rate, self._chat_burst, CHAT_MARGIN
            )
        return bucket

    def _forget_idle(self) -> None:
        cutoff = time.monotonic() - _IDLE_CHAT_SECONDS
        for chat_id in [c for c, b in self._chats.items() if b.last_used < cutoff]:
            del self._chats[chat_id]
