"""`kill -9` of the real bot process at the unlucky moments, then a restart.

No update confirmed to Telegram is lost, nobody is stranded in a flow, and at most the
message that was in flight at the moment of the kill arrives twice.
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest

from bot.emulator import BotApiEmulator, FakeUser
from tests.e2e.conftest import STANDARD_THEME, TOKEN, press, say
from tests.e2e.process import BotProcess
from tests.e2e.test_faults import FLOW, REPLIES

ASK_SERVICE = "Voor welke dienst"


async def _finish_the_application(client: FakeUser) -> None:
    """The rest of /aanvraag on the restarted bot: the flow goes on where it was."""
    await press(client, "Opleiding")
    await press(client, "Ja, ik ben ingeschreven")
    deadline, _ = await say(client, "1/12/2026", replies=2)
    assert "Dien uw subsidieaanvraag in" in deadline.text
    await press(client, STANDARD_THEME)
    [ask_size] = await say(client, "Na de crash")
    assert "Hoe groot" in ask_size.text


@pytest.mark.parametrize(
    ("point", "repeats"),
    [
        ("before_commit", 0),  # the update was stored, its effects not: handled again
        ("before_send", 0),  # the reply was committed, not sent: sent after the restart
        ("after_send", 1),  # the reply was in flight: it may arrive twice
        ("after_store", 0),  # stored, not confirmed: Telegram sends it again, seen once
    ],
)
async def test_a_kill_at_each_point_of_an_update(
    emulator: BotApiEmulator, tmp_path: Path, client: FakeUser, point: str, repeats: int
) -> None:
    # The second update (/aanvraag), or the second message (its reply), is where it dies.
    crashing = BotProcess(
        emulator,
        tmp_path,
        module="tests.e2e.crashing_bot",
        TELEGRAM_BOT_TOKEN=TOKEN,
        CRASH_AT=point,
        CRASH_ON="2",
    )
    await crashing.start()
    [welcome] = await say(client, "/start")
    assert "Welkom" in welcome.text
    await client.send("/aanvraag")
    assert await crashing.exited() == 9, crashing.log()

    restarted = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
    await restarted.start()
    try:
        await client.wait_for_messages(1, timeout=10)
        await _until_done(emulator, tmp_path / "bot.sqlite3")  # a repeat, if any, came
        answers = [m.text for m in client.messages if ASK_SERVICE in m.text]
        assert 1 <= len(answers) <= 1 + repeats, answers
        client.mark()
        await _finish_the_application(client)
    finally:
        code, log = await restarted.terminate()
    assert code == 0, log
    assert emulator.pending_updates == 0


async def test_kill_9_at_random_moments_while_clients_keep_going(
    emulator: BotApiEmulator, tmp_path: Path
) -> None:
    clients = [emulator.user(7000 + n, f"Klant {n}") for n in range(3)]
    walkers = [asyncio.create_task(_walk_until_done(user, n)) for n, user in enumerate(clients)]
    chance = random.Random(5)
    kills = 0
    try:
        while not all(w.done() for w in walkers):
            bot = BotProcess(emulator, tmp_path, TELEGRAM_BOT_TOKEN=TOKEN)
            await bot.start()
            if kills < 5:
                await asyncio.sleep(chance.uniform(0.2, 0.8))
                await bot.kill()
                kills += 1
                continue
            await asyncio.wait(walkers, timeout=60)
            code, log = await bot.terminate()
            assert code == 0, log
    finally:
        for walker in walkers:
            walker.cancel()
    for walker in walkers:
        walker.result()
    for user in clients:
        texts = [m.text for m in user.messages]
        for _, _, expected in FLOW:
            for text in expected:
                assert any(text in sent for sent in texts), (text, texts)
        # Each kill can repeat at most the message in flight in this chat.
        assert len(texts) <= REPLIES + kills, texts


async def _until_done(emulator: BotApiEmulator, db_path: Path) -> None:
    """Until the bot has fetched every update, handled every one it stored and sent every
    message it queued (it runs in another process: its database says)."""
    async with asyncio.timeout(10):
        while emulator.pending_updates or await asyncio.to_thread(_work_left, db_path):  # noqa: ASYNC110
            await asyncio.sleep(0.02)


def _work_left(db_path: Path) -> int:
    with closing(sqlite3.connect(db_path)) as conn:
        [(unhandled,)] = conn.execute("SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL")
        [(unsent,)] = conn.execute("SELECT COUNT(*) FROM outbox WHERE status = 'pending'")
    return int(unhandled) + int(unsent)


async def _walk_until_done(user: FakeUser, n: int) -> None:
    """Like a person: does the next step once the answer to the last one is there."""
    for action, what, expected in FLOW:
        if action == "type":
            await user.send(what.format(n=n))
        else:
            await user.press(what)
        for text in expected:
            while True:
                [reply] = await user.wait_for_messages(1, timeout=60)
                if text in reply.text:
                    break  # a repeated earlier answer is skipped
