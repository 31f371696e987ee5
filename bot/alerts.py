"""Alerts to people: one short Dutch message when something needs a person.

Three kinds of problem are reported to `ALERT_CHAT_ID` (default: every staff member):

- `error`: an unhandled error, i.e. anything the bot's code logs at ERROR, with or without a
  traceback (the update worker's exception path, the exception paths of the background
  loops, a loop that died, a failed daily backup, a webhook update that could not be
  stored). A logging handler on the `bot`, `storage` and `conversations` loggers picks
  these up, so no loop needs to know about alerts;
- `scheduler`: the reminder scheduler made no pass for more than 5 minutes;
- `backlog`: the outbox backlog kept growing for more than 3 minutes.

An alert is an outbox row like every other message (the sender delivers it). The same
problem (for an error: its exception type and the innermost function of the bot it came
from) is reported at most once an hour, also across restarts (the moment is kept in `meta`).
An alert never holds the token or personal data: no user id, no message text, not even the
exception's message (which may quote either). The full traceback is in the log.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import types
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.aio import wait_any
from bot.outbox import text_message
from bot.services import Services
from bot.texts import render
from storage import outbox
from storage.db import stamp, unstamp
from storage.meta import get_meta, set_meta

_LOGGER = logging.getLogger(__name__)

ERROR, SCHEDULER, BACKLOG = "error", "scheduler", "backlog"
# The loggers whose errors are alerts (the emulator and the alerts themselves excepted).
WATCHED_LOGGERS = ("bot", "storage", "conversations")
_IGNORED_LOGGERS = ("bot.alerts", "bot.emulator", "bot.sandbox")
_META_PREFIX = "alert:"
# The project's own code: an error is reported as coming from the innermost frame in it.
_ROOT = Path(__file__).resolve().parents[1]
_OWN_CODE = ("bot", "conversations", "storage")

# The runtime whose tasks run in the current context: its alerts handler takes only the
# errors of its own tasks (tests run several runtimes in one process).
_OWNER: contextvars.ContextVar[object | None] = contextvars.ContextVar(
    "kmo_bot_runtime", default=None
)


def owned_context(owner: object) -> contextvars.Context:
    """A context whose tasks count as `owner`'s (`asyncio.create_task(..., context=...)`)."""
    context = contextvars.copy_context()
    context.run(_OWNER.set, owner)
    return context


@dataclass(frozen=True)
class Problem:
    """Something to report: `key` says which problem it is (one alert per key per hour)."""

    kind: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)


def problem_of(record: logging.LogRecord) -> Problem:
    """The problem an ERROR record reports: its exception type and where it was raised."""
    exc_type = record.exc_info[0] if record.exc_info else None
    where: str | None = None
    if exc_type is not None and record.exc_info is not None:
        where = innermost_own_frame(record.exc_info[2])
        error = exc_type.__name__
    else:
        error = logging.getLevelName(record.levelno)
    if where is None:
        where = f"{record.name}.{record.funcName}"
    return Problem(ERROR, f"{ERROR}:{error}:{where}", {"error": error, "where": where})


def innermost_own_frame(tb: types.TracebackType | None) -> str | None:
    """`path/module.py:function` of the innermost frame of the bot's own code, if any."""
    found = None
    while tb is not None:
        code = tb.tb_frame.f_code
        try:
            relative = Path(code.co_filename).resolve().relative_to(_ROOT)
        except ValueError:
            relative = None
        if (
            relative is not None
            and relative.parts[0] in _OWN_CODE
            and relative.parts[:2] != ("bot", "emulator")
        ):
            found = f"{relative.as_posix()}:{code.co_name}"
        tb = tb.tb_next
    return found


class AlertLogHandler(logging.Handler):
    """Hands ERROR records of the owner's tasks to `Alerts` (never blocks, never raises)."""

    def __init__(self, alerts: Alerts) -> None:
        super().__init__(logging.ERROR)
        self.alerts = alerts

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(_IGNORED_LOGGERS) or _OWNER.get() is not self.alerts.owner:
            return
        try:
            self.alerts.error_logged(problem_of(record))
        except Exception:  # pragma: no cover - logging must never fail the caller
            self.handleError(record)


class Alerts:
    # The same problem is reported at most this often.
    repeat_after = timedelta(hours=1)
    # Seconds between two looks at the scheduler and the backlog.
    check_interval = 30.0
    # No scheduler pass for this many seconds is a problem.
    scheduler_stall_after = 300.0
    # A backlog that grew without shrinking for this many seconds is a problem.
    backlog_growing_after = 180.0

    def __init__(
        self, services: Services, owner: object, last_pass: Callable[[], datetime | None]
    ) -> None:
        self.services = services
        self.owner = owner
        self.last_pass = last_pass
        self.handler = AlertLogHandler(self)
        self.sent: Counter[str] = Counter()  # alerts written, by kind (for /metrics)
        self.errors = 0  # errors logged (for /metrics)
        # Bounded: while the database is down every error fails to be written anyway.
        self._queue: deque[Problem] = deque(maxlen=100)
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()  # nothing queued, nothing being written
        self._idle.set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._recent: dict[str, datetime] = {}  # key -> when it was last reported
        self._pass_seen: datetime | None = None
        self._pass_seen_at = 0.0
        self._backlog_before: int | None = None
        self._growing_since: float | None = None
        self._growing_from = 0

    def recipients(self) -> list[int]:
        settings = self.services.settings
        if settings.alert_chat_id is not None:
            return [settings.alert_chat_id]
        return sorted(settings.staff_ids)

    # --- errors, from the log -------------------------------------------------------------

    def install(self) -> None:
        """Start listening to the log (the runtime's start; from the event loop)."""
        self._loop = asyncio.get_running_loop()
        self._pass_seen_at = self._loop.time()
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).addHandler(self.handler)

    def uninstall(self) -> None:
        for name in WATCHED_LOGGERS:
            logging.getLogger(name).removeHandler(self.handler)

    def error_logged(self, problem: Problem) -> None:
        """From any thread: queue the problem for the alerts loop."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._add(problem)
        else:
            loop.call_soon_threadsafe(self._add, problem)

    def _add(self, problem: Problem) -> None:
        self.errors += 1
        self._queue.append(problem)
        self._idle.clear()
        self._wakeup.set()

    # --- the loop -------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event) -> None:
        """Write the queued alerts, and look at the scheduler and the backlog, until `stop`."""
        while not stop.is_set():
            self._wakeup.clear()
            try:
                await self._drain()
                await self.check_once()
            except Exception:  # a warning, not an error: an alert about alerts could loop
                _LOGGER.warning("Alert checks failed; trying again shortly", exc_info=True)
            if not self._queue:
                self._idle.set()
            await wait_any(stop, self._wakeup, seconds=self.check_interval)

    async def wait_until_idle(self, seconds: float = 5.0) -> None:
        """Until every queued problem was written or dropped (tests)."""
        await asyncio.wait_for(self._idle.wait(), seconds)

    async def _drain(self) -> None:
        while self._queue:
            problem = self._queue.popleft()
            await self.send(problem)

    async def check_once(self) -> None:
        """The scheduler still passes; the backlog does not keep growing."""
        loop_now = asyncio.get_running_loop().time()
        last = self.last_pass()
        if last != self._pass_seen:
            self._pass_seen, self._pass_seen_at = last, loop_now
        elif loop_now - self._pass_seen_at > self.scheduler_stall_after:
            minutes = _minutes(loop_now - self._pass_seen_at)
            await self.send(Problem(SCHEDULER, SCHEDULER, {"minutes": minutes}))
        count, _ = await outbox.backlog(self.services.db)
        before, self._backlog_before = self._backlog_before, count
        if count == 0:
            self._growing_since = None
            return
        if self._growing_since is None or before is None or count < before:
            self._growing_since, self._growing_from = loop_now, count
            return
        growing = loop_now - self._growing_since
        if growing >= self.backlog_growing_after and count > self._growing_from:
            values = {"count": count, "minutes": _minutes(growing)}
            await self.send(Problem(BACKLOG, BACKLOG, values))
            self._growing_since, self._growing_from = loop_now, count

    async def send(self, problem: Problem) -> bool:
        """Write the alert to every recipient, unless this problem was reported within
        `repeat_after`; whether it was written."""
        recipients = self.recipients()
        services = self.services
        now = services.clock.now()
        recent = self._recent.get(problem.key)
        if recent is not None and timedelta(0) <= now - recent < self.repeat_after:
            return False
        local = now.astimezone(services.settings.timezone)
        text = render(f"alerts/{problem.kind}", time=f"{local:%H:%M}", **problem.values)
        meta_key = _META_PREFIX + problem.key
        async with services.db.transaction() as tx:
            last = await get_meta(tx, meta_key)
            if last is not None and timedelta(0) <= now - unstamp(last) < self.repeat_after:
                self._recent[problem.key] = unstamp(last)
                return False
            await set_meta(tx, meta_key, stamp(now))
            for chat_id in recipients:
                await outbox.enqueue(tx, text_message(chat_id, text), now)
        self._recent[problem.key] = now
        if not recipients:
            _LOGGER.warning("Alert %s not sent: no ALERT_CHAT_ID and no STAFF_IDS", problem.key)
            return False
        self.sent[problem.kind] += 1
        services.outbox_wakeup.set()
        _LOGGER.warning("Alert sent to %s chat(s): %s", len(recipients), problem.key)
        return True


def _minutes(seconds: float) -> int:
    return max(1, round(seconds / 60))
