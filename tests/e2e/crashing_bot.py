"""The real bot, dying like `kill -9` at one chosen point: `python -m tests.e2e.crashing_bot`.

CRASH_AT names the point, CRASH_ON which occurrence (1 = the first) triggers it:

- `before_commit`: an update's handler has done all its work, its transaction is not
  committed (the "handled" mark is the last write in it);
- `before_send`: committed; the reply is in the outbox, not sent yet;
- `after_send`: Telegram accepted the reply; the outbox row is not marked sent yet;
- `after_store`: updates are stored in the inbox; Telegram has not been told yet.

Nothing in the bot knows about this: the points are patched in from here.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import Any

import bot.sender
import storage.inbox
import storage.outbox
from bot.cli import main


def _dies_on(
    occurrence: int, original: Callable[..., Any], *, after: bool = False
) -> Callable[..., Any]:
    """`original`, except that its n-th call exits the process: before it runs, or after."""
    calls = 0

    async def replacement(*args: Any, **kwargs: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == occurrence and not after:
            os._exit(9)  # no clean-up of any kind, as with kill -9
        result = await original(*args, **kwargs)
        if calls == occurrence:
            os._exit(9)
        return result

    return replacement


def _patch(point: str, occurrence: int) -> None:
    if point == "before_commit":
        storage.inbox.mark_handled = _dies_on(occurrence, storage.inbox.mark_handled)
    elif point == "before_send":
        bot.sender.Sender._attempt = _dies_on(occurrence, bot.sender.Sender._attempt)
    elif point == "after_send":
        storage.outbox.mark_sent = _dies_on(occurrence, storage.outbox.mark_sent)
    elif point == "after_store":
        storage.inbox.store_updates = _dies_on(occurrence, storage.inbox.store_updates, after=True)
    else:
        raise SystemExit(f"unknown CRASH_AT {point!r}")


if __name__ == "__main__":
    _patch(os.environ["CRASH_AT"], int(os.environ.get("CRASH_ON", "1")))
    sys.exit(main())
