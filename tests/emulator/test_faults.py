"""Fault windows (`inject_faults`), `fail_next` next to them, and the flood limits."""

from __future__ import annotations

import asyncio
import datetime as dtm
from collections.abc import Callable

import aiohttp
import pytest
from telegram import Bot
from telegram.error import NetworkError, RetryAfter, TimedOut

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN


@pytest.fixture(autouse=True)
def _timedelta_retry_after(monkeypatch: pytest.MonkeyPatch) -> None:
    """RetryAfter.retry_after as a timedelta (PTB warns about the int otherwise)."""
    monkeypatch.setenv("PTB_TIMEDELTA", "true")


async def eventually(condition: Callable[[], bool], seconds: float = 2.0) -> None:
    """Poll: some emulator records change without waking `wait_until`."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not condition():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


async def outcome(bot: Bot, text: str) -> str:
    try:
        await bot.send_message(CHAT, text)
    except RetryAfter:
        return "429"
    except NetworkError as exc:
        return "502" if "Bad Gateway" in exc.message else f"other: {exc.message}"
    return "ok"


async def test_429_carries_the_windows_retry_after(bot: Bot, emu: BotApiEmulator) -> None:
    window = emu.inject_faults(1.0, kinds=["429"], duration=10, retry_after=7)
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "x")
    assert info.value.retry_after == dtm.timedelta(seconds=7)
    assert emu.stats.injected == {"429": 1}
    assert window.injected == {"429": 1}
    assert emu.stats.rate_limited == 1
    assert emu.user(CHAT).messages == []


async def test_502_is_bad_gateway_and_nothing_happens(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=("502",), duration=10)
    with pytest.raises(NetworkError, match="Bad Gateway"):
        await bot.send_message(CHAT, "x")
    assert emu.user(CHAT).messages == []
    assert emu.stats.responses[502] == 1


async def test_timeout_makes_the_client_time_out_without_sending(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.inject_faults(1.0, kinds=("timeout",), duration=10, stall=5.0)
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "x", read_timeout=0.3)
    assert loop.time() - started < 2
    assert emu.stats.injected == {"timeout": 1}
    # The emulator notices the client gave up and ends the stall: 504, nothing sent.
    await eventually(lambda: emu.stats.responses[504] == 1)
    assert emu.user(CHAT).messages == []


async def test_timeout_after_applying_delivers_the_message_anyway(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.inject_faults(1.0, kinds=["timeout"], duration=10, stall=5.0, apply_before_stall=True)
    with pytest.raises(TimedOut):
        await bot.send_message(CHAT, "toch aangekomen", read_timeout=0.3)
    assert [m.text for m in emu.user(CHAT).messages] == ["toch aangekomen"]
    assert emu.stats.sent == 1


async def test_a_slow_answer_still_comes_when_the_client_waits(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.inject_faults(1.0, kinds=["timeout"], duration=10, stall=0.2, apply_before_stall=True)
    message = await bot.send_message(CHAT, "traag", read_timeout=5)
    assert message.text == "traag"
    emu.clear_faults()
    emu.inject_faults(1.0, kinds=["timeout"], duration=10, stall=0.2)
    with pytest.raises(NetworkError, match="Gateway Timeout"):
        await bot.send_message(CHAT, "kwijt", read_timeout=5)
    assert [m.text for m in emu.user(CHAT).messages] == ["traag"]


async def test_stop_releases_a_stalled_request(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=["timeout"], duration=60, stall=30)
    send = asyncio.create_task(bot.send_message(CHAT, "x", read_timeout=30))
    await eventually(lambda: emu.stats.injected["timeout"] == 1)
    loop = asyncio.get_running_loop()
    started = loop.time()
    await emu.stop()
    assert loop.time() - started < 3
    with pytest.raises(NetworkError):
        await asyncio.wait_for(send, 5)


async def test_share_and_seed_give_a_repeatable_mix(bot: Bot, emu: BotApiEmulator) -> None:
    async def run(seed: int) -> list[str]:
        emu.clear_faults()
        emu.inject_faults(0.5, kinds=("429", "502"), duration=30, seed=seed)
        return [await outcome(bot, str(i)) for i in range(30)]

    first = await run(3)
    assert set(first) == {"ok", "429", "502"}
    assert 5 <= first.count("ok") <= 25
    assert await run(3) == first
    other = await run(4)
    assert other != first
    faults = 2 * (30 - first.count("ok")) + 30 - other.count("ok")
    assert emu.stats.injected["429"] + emu.stats.injected["502"] == faults
    assert emu.stats.sent == 90 - faults


async def test_window_ends_after_its_duration(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=["502"], duration=0.2)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "tijdens")
    await asyncio.sleep(0.25)
    await bot.send_message(CHAT, "erna")
    assert [m.text for m in emu.user(CHAT).messages] == ["erna"]


async def test_clear_faults_ends_a_window(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=["502"], duration=60)
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "1")
    emu.clear_faults()
    await bot.send_message(CHAT, "2")


async def test_only_the_given_methods_fail(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=["502"], duration=60, methods=["sendmessage"])
    assert (await bot.get_me()).username == "emulator_bot"
    assert await bot.send_chat_action(CHAT, "typing")
    with pytest.raises(NetworkError):
        await bot.send_message(CHAT, "x")
    assert emu.stats.injected == {"502": 1}


async def test_every_method_by_default(bot: Bot, emu: BotApiEmulator) -> None:
    emu.inject_faults(1.0, kinds=["502"], duration=60)
    with pytest.raises(NetworkError):
        await bot.get_me()
    with pytest.raises(NetworkError):
        await bot.get_updates()


async def test_fail_next_comes_first_and_is_not_counted_as_injected(
    bot: Bot, emu: BotApiEmulator
) -> None:
    emu.inject_faults(0.0, duration=60)
    emu.fail_next("sendMessage", 500)
    with pytest.raises(NetworkError, match="Internal Server Error"):
        await bot.send_message(CHAT, "x")
    await bot.send_message(CHAT, "y")
    assert emu.stats.injected == {}


def test_bad_windows_are_refused(emu: BotApiEmulator) -> None:
    with pytest.raises(ValueError, match="probability"):
        emu.inject_faults(1.5, duration=1)
    with pytest.raises(ValueError, match="kinds"):
        emu.inject_faults(0.5, duration=1, kinds=["418"])
    with pytest.raises(ValueError, match="kinds"):
        emu.inject_faults(0.5, duration=1, kinds=[])
    with pytest.raises(ValueError, match="negative"):
        emu.inject_faults(0.5, duration=-1)


async def test_control_api_starts_and_ends_a_window(bot: Bot, emu: BotApiEmulator) -> None:
    base = f"{emu.url}/_emulator"
    async with aiohttp.ClientSession() as http:
        body = {"share": 1, "duration": 60, "kinds": ["502"], "methods": ["sendMessage"]}
        async with http.post(f"{base}/faults", json=body) as resp:
            assert (await resp.json())["ok"]
        with pytest.raises(NetworkError):
            await bot.send_message(CHAT, "x")
        async with http.get(f"{base}/stats") as resp:
            assert (await resp.json())["result"]["injected"] == {"502": 1}
        async with http.delete(f"{base}/faults") as resp:
            assert (await resp.json())["ok"]
        await bot.send_message(CHAT, "y")
        async with http.post(f"{base}/faults", json={"share": 1}) as resp:
            assert resp.status == 400


# -- flood limits ---------------------------------------------------------------------------


async def test_per_chat_burst_then_the_rate(bot: Bot, emu: BotApiEmulator) -> None:
    emu.user(2002)
    emu.per_chat_rate_limit = 1
    emu.per_chat_burst = 5
    for i in range(5):
        await bot.send_message(CHAT, f"burst {i}")
    with pytest.raises(RetryAfter) as info:
        await bot.send_message(CHAT, "te veel")
    assert info.value.retry_after == dtm.timedelta(seconds=1)
    await bot.send_message(2002, "andere chat heeft een eigen emmer")
    await asyncio.sleep(1.05)
    await bot.send_message(CHAT, "na een seconde")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "meteen weer")
    assert len(emu.user(CHAT).messages) == 6
    assert emu.stats.rate_limited == 2


async def test_burst_of_one_keeps_the_sliding_window(bot: Bot, emu: BotApiEmulator) -> None:
    emu.per_chat_rate_limit = 2  # two in any second, not one per half second
    await bot.send_message(CHAT, "1")
    await bot.send_message(CHAT, "2")
    with pytest.raises(RetryAfter):
        await bot.send_message(CHAT, "3")


async def test_burst_via_the_constructor() -> None:
    async with (
        BotApiEmulator(per_chat_rate_limit=0.5, per_chat_burst=3) as emu,
        Bot(TOKEN, base_url=emu.base_url) as bot,
    ):
        emu.user(CHAT)
        for i in range(3):
            await bot.send_message(CHAT, str(i))
        with pytest.raises(RetryAfter):
            await bot.send_message(CHAT, "3")
