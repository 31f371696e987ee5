"""bot/limiter.py on a fake clock whose sleeps wake up late, as the event loop's do."""

from __future__ import annotations

import asyncio
import time
import types

import pytest

from bot import limiter as limiter_module
from bot.limiter import CHAT_MARGIN, Limiter, TokenBucket
from storage.outbox import BULK, REPLY

LATE = 0.0008  # every sleep ends this much late (epoll counts whole milliseconds)


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.0) + LATE
        await asyncio.sleep(0)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(limiter_module, "time", types.SimpleNamespace(monotonic=fake.monotonic))
    monkeypatch.setattr(
        limiter_module, "asyncio", types.SimpleNamespace(sleep=fake.sleep, Lock=asyncio.Lock)
    )
    return fake


async def _times(bucket: TokenBucket, clock: FakeTime, count: int) -> list[float]:
    moments = []
    for _ in range(count):
        await bucket.take()
        moments.append(clock.now)
    return moments


def _most_in_one_second(moments: list[float]) -> int:
    return max(sum(1 for m in moments if start <= m < start + 1.0) for start in moments)


async def test_a_chat_bucket_keeps_its_burst_and_waits_the_margin_once(clock: FakeTime) -> None:
    bucket = TokenBucket(1.0, 5, CHAT_MARGIN)
    start = clock.now
    moments = [m - start for m in await _times(bucket, clock, 8)]
    assert moments[:5] == [0.0] * 5  # the burst at once
    assert moments[5] >= 1.0 + CHAT_MARGIN  # then the margin, once
    assert moments[6] - moments[5] == pytest.approx(1.0, abs=0.002)  # and the rate
    assert moments[7] - moments[6] == pytest.approx(1.0, abs=0.002)


async def test_replies_never_queue_behind_a_broadcast() -> None:
    """Real time: a broadcast at 0.95 of the limit to 600 chats, and one reply every 0.1 s.
    The event loop's late wake-ups make the whole let through less than 300/s, so the
    broadcast is ahead of it all the time; its backlog must stay behind the bulk lock."""
    limiter = Limiter(285.0, global_rate=300.0, chat_rate=1.0, chat_burst=5)
    waits: list[float] = []

    async def reply(chat_id: int) -> None:
        started = time.monotonic()
        await limiter.acquire(chat_id, REPLY)
        waits.append(time.monotonic() - started)

    broadcast = [asyncio.create_task(limiter.acquire(10_000 + i, BULK)) for i in range(600)]
    for chat_id in range(1, 19):
        await asyncio.sleep(0.1)
        await reply(chat_id)
    await asyncio.gather(*broadcast)
    assert max(waits) < 0.05, waits
