"""Failures on purpose: one-off faults (``fail_next``), random fault windows
(``inject_faults``) and Telegram's flood limits (429 with ``retry_after``)."""

from __future__ import annotations

import math
import random
from collections import Counter, deque
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.emulator.request import ApiError, error_description

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

__all__ = ["DEFAULT_STALL", "FAULT_KINDS", "FaultInjector", "FaultWindow", "RateLimiter"]

FAULT_KINDS = frozenset({"429", "502", "timeout"})
DEFAULT_STALL = 10.0
"""Seconds a "timeout" fault holds a request: past python-telegram-bot's default 5 s."""


def too_many_requests(retry_after: int, description: str | None = None) -> ApiError:
    return ApiError(
        429, description or f"Too Many Requests: retry after {retry_after}", retry_after
    )


@dataclass
class _Fault:
    method: str
    status: int
    remaining: int
    chat_id: int | None
    description: str | None


@dataclass
class FaultWindow:
    """One ``inject_faults`` window: which requests fail, how, and until when."""

    share: float
    kinds: tuple[str, ...]
    until: float
    """Loop time at which the window ends."""
    methods: frozenset[str] | None
    """Lower-case method names, ``None`` for every method."""
    retry_after: int
    stall: float
    apply_before_stall: bool
    rng: random.Random = field(repr=False)
    injected: Counter[str] = field(default_factory=Counter)
    """Faults this window injected, per kind."""

    def covers(self, method: str, now: float) -> bool:
        return now < self.until and (self.methods is None or method.lower() in self.methods)


@dataclass
class Injection:
    """The fault drawn for one request."""

    kind: str
    window: FaultWindow


class FaultInjector:
    """Pending ``fail_next`` faults and active fault windows."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._faults: list[_Fault] = []
        self._windows: list[FaultWindow] = []

    def fail_next(
        self, method: str, status: int, count: int, chat_id: int | None, description: str | None
    ) -> None:
        if count < 1 or not 400 <= status <= 599:
            raise ValueError("fail_next needs count >= 1 and an error status")
        self._faults.append(_Fault(method.lower(), status, count, chat_id, description))

    def add_window(
        self,
        share: float,
        *,
        duration: float,
        kinds: Collection[str],
        methods: Collection[str] | None,
        retry_after: int,
        stall: float,
        seed: int,
        apply_before_stall: bool,
    ) -> FaultWindow:
        chosen = tuple(kinds)
        if not 0.0 <= share <= 1.0:
            raise ValueError("share is a probability between 0 and 1")
        if not chosen or not set(chosen) <= FAULT_KINDS:
            raise ValueError(f"kinds must be some of {sorted(FAULT_KINDS)}, got {chosen!r}")
        if duration < 0 or stall < 0 or retry_after < 0:
            raise ValueError("duration, stall and retry_after must not be negative")
        window = FaultWindow(
            share=share,
            kinds=chosen,
            until=self._emu.loop_time() + duration,
            methods=None if methods is None else frozenset(m.lower() for m in methods),
            retry_after=retry_after,
            stall=stall,
            apply_before_stall=apply_before_stall,
            rng=random.Random(seed),
        )
        self._windows.append(window)
        return window

    def clear(self) -> None:
        self._faults.clear()
        self._windows.clear()

    def check_fail_next(self, method: str, chat_id: int | None) -> None:
        """Raise the first pending ``fail_next`` fault that matches this request."""
        for fault in self._faults:
            if fault.method not in {"*", method.lower()}:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            if fault.status == 429:
                raise too_many_requests(self._emu.retry_after, fault.description)
            raise ApiError(fault.status, fault.description or error_description(fault.status))

    def draw(self, method: str) -> Injection | None:
        """The fault of an active window for this request, if its dice say so (counted)."""
        now = self._emu.loop_time()
        self._windows = [w for w in self._windows if now < w.until]
        for window in self._windows:
            if not window.covers(method, now):
                continue
            # Always draw, hit or not: the sequence of outcomes depends on the seed only.
            if window.rng.random() >= window.share:
                continue
            kind = window.rng.choice(window.kinds)
            window.injected[kind] += 1
            self._emu.stats.injected[kind] += 1
            return Injection(kind, window)
        return None


class RateLimiter:
    """Telegram's flood limits for sending methods: global and per chat.

    A limit L per second is a strict sliding window: at most ``round(L * w)`` sends in any
    ``w = max(1, 1/L)`` seconds. With ``per_chat_burst`` above that, a chat gets a token bucket
    instead: up to ``per_chat_burst`` sends at once, refilled at L per second.
    """

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._global: deque[float] = deque()
        self._chats: dict[int, deque[float]] = {}
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def check(self, chat_id: int | None) -> None:
        """Raise 429 if sending to ``chat_id`` now would exceed a limit."""
        emu = self._emu
        now = emu.loop_time()
        chat = chat_id or 0
        if _over(self._global, emu.global_rate_limit, now):
            raise too_many_requests(emu.retry_after)
        limit = emu.per_chat_rate_limit
        if not limit or limit <= 0:
            return
        if self._bucketed(limit):
            tokens = self._tokens(chat, limit, now)
            if tokens < 1.0:
                wait = math.ceil((1.0 - tokens) / limit)
                raise too_many_requests(max(emu.retry_after, wait))
        elif _over(self._chats.setdefault(chat, deque()), limit, now):
            raise too_many_requests(emu.retry_after)

    def record(self, chat_id: int | None) -> None:
        """A send to ``chat_id`` succeeded."""
        emu = self._emu
        now = emu.loop_time()
        chat = chat_id or 0
        emu.stats.sent += 1
        _append(self._global, emu.global_rate_limit, now)
        limit = emu.per_chat_rate_limit
        if limit and limit > 0 and self._bucketed(limit):
            self._buckets[chat] = (self._tokens(chat, limit, now) - 1.0, now)
        else:
            _append(self._chats.setdefault(chat, deque()), limit, now)

    def _bucketed(self, limit: float) -> bool:
        return self._emu.per_chat_burst > _window(limit)[1]

    def _tokens(self, chat: int, limit: float, now: float) -> float:
        burst = float(self._emu.per_chat_burst)
        tokens, at = self._buckets.get(chat, (burst, now))
        return min(burst, tokens + (now - at) * limit)


def _window(limit: float) -> tuple[float, int]:
    window = max(1.0, 1.0 / limit)
    return window, max(1, round(limit * window))


def _append(timestamps: deque[float], limit: float | None, now: float) -> None:
    """Record a send; forget those no window can count any more (long runs stay small)."""
    timestamps.append(now)
    window = _window(limit)[0] if limit and limit > 0 else 1.0
    while timestamps and timestamps[0] <= now - window:
        timestamps.popleft()


def _over(timestamps: deque[float], limit: float | None, now: float) -> bool:
    if not limit or limit <= 0:
        return False
    window, capacity = _window(limit)
    while timestamps and timestamps[0] <= now - window:
        timestamps.popleft()
    return len(timestamps) >= capacity
