"""Reminders benchmark: the scheduler with many open dossiers in the database.

    python bench/reminders.py [--dossiers 100000] [--rounds 3]

Builds a database with `--dossiers` open dossiers (and one with 1,000 for the ratio) by
bulk inserts: clients, dossiers at different stages, their pending reminders exactly as
`plan_reminders` plans them (what `sync_reminders` stores), sent and cancelled ones from
earlier steps, and some conversations in progress. Then a child process that runs only the
bot, on one CPU, measures against the fake Bot API server in this process:

- start-up: BotRuntime() + start(): database open (migrations checked), old conversation
  tables upgraded (once), getMe, webhook removed, command menus set, the loops started
  (sender, update worker, poller, scheduler, broadcast monitor, housekeeping);
- an idle pass: ReminderScheduler.run_once() with nothing due (median of 1,000; the
  lowest median of `--rounds` children per database);
- due passes: the clock travels to the moment exactly 1,000 reminders are due; run_once()
  until nothing is due, each pass writing up to 500 outbox rows, while the runtime's own
  sender delivers them to the server; timed until the sender is idle. The bench gives the
  sender a limiter without limits instead of BROADCAST_RATE (25/s), so this measures the
  bot rather than Telegram's pace;
- peak memory: the child's high-water mark VmHWM (the bot alone: no builder, no server;
  ru_maxrss would carry over the parent's peak through fork and exec).

See docs/benchmarks.md for the method and recorded results.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import sqlite3
import sys
import tempfile
import time
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import (
    STAFF_ID,
    START_OF_RUN,
    UNLIMITED,
    busy,
    figure,
    fixed_clock,
    machine,
    make_settings,
    median,
    peak_rss_mb,
    percentile,
    replace_limiter,
)

from bot.domain.progress import Dossier, Step
from bot.domain.reminder_plan import PlannedReminder, plan_reminders
from bot.domain.rules import load_rules
from bot.emulator import BotApiEmulator
from bot.runner import BotRuntime
from storage.db import Database, stamp, unstamp

TARGET_STARTUP_S = 2.0
TARGET_IDLE_MS = 20.0
TARGET_RATIO = 3.0
TARGET_PEAK_MB = 150.0
DUE_COUNT = 1_000
RATIO_BASE = 1_000  # the idle pass at --dossiers is compared with one at this many dossiers
IDLE_RUNS = 1_000
FIRST_CLIENT_ID = 20_000_000
DOSSIERS_PER_CLIENT = 2
# Dossiers started today: their first reminder (7 days before the application deadline)
# is the earliest of all, so travelling there makes exactly these due.
TODAY = START_OF_RUN.date()
SCRIPT = Path(__file__).resolve()


# ---------------------------------------------------------------------------- database


@dataclass
class Built:
    path: Path
    dossiers: int
    clients: int
    pending: int
    reminders: int
    due: int
    due_moment: datetime
    seconds: float


def _stamp(day: date) -> str:
    return stamp(datetime.combine(day, START_OF_RUN.timetz()))


async def _migrate(path: Path) -> None:
    db = Database(path)
    await db.open()
    await db.close()


def _reminder_row(
    dossier_id: int, client_id: int, p: PlannedReminder, *, sent: bool | None
) -> tuple[object, ...]:
    """A reminders row: pending (sent None), or history: sent, or cancelled by the step."""
    status = "pending" if sent is None else "sent" if sent else "cancelled"
    return (
        dossier_id,
        client_id,
        p.kind,
        p.deadline.isoformat(),
        p.offset_days,
        p.audience,
        stamp(p.due_at),
        status,
        stamp(p.due_at + timedelta(seconds=1)) if sent else None,
    )


def build_database(path: Path, dossiers: int, due: int, seed: int = 2026) -> Built:
    """A database with `dossiers` open dossiers; exactly `due` reminders due first."""
    started = time.perf_counter()
    asyncio.run(_migrate(path))
    settings = make_settings("http://127.0.0.1:9/bot", path)
    rules = load_rules(settings.rules_path)
    rng = random.Random(seed)
    services = [
        ("opleiding", "algemeen"),
        ("opleiding", "cybersecurity"),
        ("advies", "cybersecurity"),
    ]

    def plan(dossier: Dossier, now: datetime) -> list[PlannedReminder]:
        return plan_reminders(
            dossier,
            rules.scheme_for(dossier.start_date),
            now=now,
            days_before=settings.reminder_days_before,
            at=settings.reminder_time,
            tz=settings.timezone,
            staff=True,
        )

    clients = -(-dossiers // DOSSIERS_PER_CLIENT)
    client_rows = [
        (FIRST_CLIENT_ID + i, f"Klant{i}", "Test", f"klant_{i}", _stamp(TODAY), _stamp(TODAY))
        for i in range(clients)
    ]
    dossier_rows: list[tuple[Any, ...]] = []
    reminder_rows: list[tuple[Any, ...]] = []
    now = START_OF_RUN.astimezone(UTC)
    for number in range(1, dossiers + 1):
        client_id = FIRST_CLIENT_ID + (number - 1) % clients
        service, theme = services[number % len(services)]
        done: dict[Step, date] = {}
        roll = rng.random()
        if number <= due:  # started today: first reminder is the earliest of the database
            start = TODAY
        elif roll < 0.7:  # application deadline ahead (starts within half a year)
            start = TODAY + timedelta(days=rng.randint(1, 180))
        else:  # filed on time; 2 in 3 already confirmed: the payment deadline is ahead
            confirmed = TODAY - timedelta(days=rng.randint(0, 15))
            filed = confirmed - timedelta(days=rng.randint(0, 5))
            start = filed - timedelta(days=rng.randint(0, 13))
            done[Step.FILED] = filed
            if roll < 0.9:
                done[Step.CONFIRMED] = confirmed
        dossier = Dossier(number, client_id, service, theme, f"Project {number}", start, done=done)
        created = datetime.combine(start - timedelta(days=3), START_OF_RUN.timetz())
        dossier_rows.append(
            (
                number,
                client_id,
                service,
                theme,
                dossier.title,
                "klein",
                250_000,
                start.isoformat(),
                done[Step.FILED].isoformat() if Step.FILED in done else None,
                done[Step.CONFIRMED].isoformat() if Step.CONFIRMED in done else None,
                STAFF_ID if Step.CONFIRMED in done else None,
                _stamp(min(start, TODAY) - timedelta(days=3)),
                _stamp(TODAY),
            )
        )
        if Step.FILED in done:  # history: application reminders sent, then cancelled
            filed_at = datetime.combine(done[Step.FILED], START_OF_RUN.timetz())
            unfiled = Dossier(number, client_id, service, theme, dossier.title, start)
            for p in plan(unfiled, created.astimezone(UTC)):
                sent = p.due_at < filed_at
                reminder_rows.append(_reminder_row(number, client_id, p, sent=sent))
        for p in plan(dossier, now):
            reminder_rows.append(_reminder_row(number, client_id, p, sent=None))
    in_flow = rng.sample(range(clients), k=max(1, clients // 50))  # mid-/aanvraag clients
    with closing(sqlite3.connect(path, isolation_level=None)) as conn:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO clients (user_id, first_name, last_name, username, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            client_rows,
        )
        conn.executemany(
            "INSERT INTO dossiers (id, client_id, service, theme, title, company_size,"
            " amount_cents, start_date, filed_on, confirmed_on, confirmed_by, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            dossier_rows,
        )
        conn.executemany(
            "INSERT INTO reminders (dossier_id, client_id, kind, deadline, offset_days,"
            " audience, due_at, status, sent_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            reminder_rows,
        )
        # Clients mid-/aanvraag: at the title question, service and theme answered.
        conn.executemany(
            "INSERT INTO flows (user_id, flow, step, draft, offered, active, updated_at)"
            " VALUES (?, 'aanvraag', 'titel', ?, '[]', 1, ?)",
            [
                (
                    uid,
                    json.dumps({"service": "opleiding", "theme": "algemeen"}, sort_keys=True),
                    _stamp(TODAY),
                )
                for uid in (FIRST_CLIENT_ID + i for i in in_flow)
            ],
        )
        conn.execute("COMMIT")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pending = [
            row[0]
            for row in conn.execute(
                "SELECT due_at FROM reminders WHERE status = 'pending' ORDER BY due_at"
            )
        ]
    first = pending[0] if pending else stamp(now)
    return Built(
        path=path,
        dossiers=dossiers,
        clients=clients,
        pending=len(pending),
        reminders=len(reminder_rows),
        due=sum(1 for moment in pending if moment == first),
        due_moment=unstamp(first) + timedelta(seconds=30),
        seconds=time.perf_counter() - started,
    )


# ---------------------------------------------------------------------------- the child


async def _measure(url: str, db_path: Path, due_moment: datetime) -> dict[str, Any]:
    """Runs in the child: the bot alone, against the server at `url`, on one CPU.

    One CPU: when statements ran on aiosqlite's thread, that thread and the event loop on
    different CPUs made an idle pass pay cross-CPU wake-ups (its median flipped between
    about 0.17 and 0.35 ms from run to run on a 2-CPU VM). Statements now run on the event
    loop's thread (storage/db.py); one CPU is kept so that the figures stay comparable.
    """
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})  # threads made later follow
    started = time.perf_counter()
    runtime = BotRuntime(make_settings(url, db_path), fixed_clock())
    await runtime.start()
    startup = time.perf_counter() - started
    rss_after_start = peak_rss_mb()
    # Only the passes timed here may run: stop the runtime's own scheduler and broadcast
    # monitor. The sender stays: it delivers what the passes queue.
    for name in ("reminders", "broadcasts"):
        task = runtime.tasks.pop(name)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    scheduler = runtime.scheduler
    try:
        for _ in range(5):  # warm-up (the first pass fills SQLite's page cache)
            await scheduler.run_once()
        idle: list[float] = []
        for _ in range(IDLE_RUNS):
            began = time.perf_counter()
            report = await scheduler.run_once()
            idle.append(time.perf_counter() - began)
            if report.due:
                raise RuntimeError(f"an idle pass found {report.due} due reminders")

        # The bench's pace, not Telegram's: no limit overall, per chat or for bulk messages.
        replace_limiter(
            runtime,
            bulk_rate=UNLIMITED,
            global_rate=UNLIMITED,
            chat_rate=UNLIMITED,
            chat_burst=1000,
        )
        runtime.services.clock.travel_to(due_moment)
        passes: list[dict[str, Any]] = []
        drain_began = time.perf_counter()
        while True:
            began = time.perf_counter()
            report = await scheduler.run_once()
            if not report.due:
                break
            passes.append({"seconds": time.perf_counter() - began, **vars(report)})
        queued_all = time.perf_counter() - drain_began
        await runtime.sender.wait_until_idle(120)
        drain = time.perf_counter() - drain_began
        outcomes = {str(k): v for k, v in runtime.sender.outcomes.items() if v}
        idle_after = []
        for _ in range(IDLE_RUNS // 4):
            began = time.perf_counter()
            await scheduler.run_once()
            idle_after.append(time.perf_counter() - began)
    finally:
        await runtime.stop()
    return {
        "startup": startup,
        "rss_after_start": rss_after_start,
        "idle": idle,
        "idle_after": idle_after,
        "passes": passes,
        "queued_all": queued_all,
        "drain": drain,
        "outcomes": outcomes,
        "peak_rss": peak_rss_mb(),
    }


async def _run_child(url: str, built: Built) -> dict[str, Any]:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--child",
        url,
        str(built.path),
        built.due_moment.isoformat(),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    lines = [line for line in out.decode().splitlines() if line.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"the bot child failed ({proc.returncode}):\n{err.decode()[-4000:]}")
    result: dict[str, Any] = json.loads(lines[-1].removeprefix("RESULT "))
    return result


async def _measure_all(built: list[Built], rounds: int) -> list[dict[str, Any]]:
    """A child per database, `rounds` times round: an idle pass is so short that a busy
    machine moves its median, so each size keeps its lowest median. From the second round
    on the due reminders are already sent: those rounds time idle passes only."""
    results = []
    for one in built * rounds:
        async with BotApiEmulator() as emu:
            emu.user(STAFF_ID, "Els", "els_vigc")
            for i in range(one.clients):
                emu.user(FIRST_CLIENT_ID + i, f"Klant{i}", f"klant_{i}")
            result = await _run_child(emu.base_url, one)
            sent = result["outcomes"].get("sent", 0)
            queued = sum(p["queued"] for p in result["passes"])
            if sent != queued:
                raise RuntimeError(f"{queued} reminders queued but {sent} sent: {result}")
            bad = {s: n for s, n in emu.stats.responses.items() if s >= 400}
            if emu.internal_errors or bad or emu.stats.requests["sendMessage"] != sent:
                raise RuntimeError(
                    f"server saw {emu.stats.requests['sendMessage']} sendMessage for {sent}"
                    f" sent reminders; errors {bad} {emu.internal_errors!r}"
                )
            result["server_sent"] = emu.stats.sent
        results.append(result)
    return results


# ---------------------------------------------------------------------------- report


def _ms(seconds: float) -> float:
    return seconds * 1000


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        url, db_path, moment = argv[1:4]
        result = asyncio.run(_measure(url, Path(db_path), datetime.fromisoformat(moment)))
        print("RESULT " + json.dumps(result), flush=True)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--dossiers", type=int, default=100_000, help="open dossiers (100000)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="children per database; lowest idle median (3)"
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.dossiers < 10 or args.rounds < 1:
        parser.error("--dossiers must be at least 10 and --rounds at least 1")

    print(f"Reminders benchmark: {args.dossiers:,} open dossiers")
    print(f"machine: {machine()}")
    sizes = [args.dossiers, RATIO_BASE]
    with tempfile.TemporaryDirectory(prefix="bench-reminders-") as tmp:
        built = []
        for size in sizes:
            due = min(DUE_COUNT, size // 10)
            one = build_database(Path(tmp) / f"kmo-{size}.sqlite3", size, due)
            if one.due != due:
                raise RuntimeError(f"{one.due} reminders due at the first moment, not {due}")
            built.append(one)
            size_mb = one.path.stat().st_size / 2**20
            print(
                f"database: {one.dossiers:,} open dossiers of {one.clients:,} clients,"
                f" {one.pending:,} pending of {one.reminders:,} reminders,"
                f" {size_mb:.0f} MB, built in {one.seconds:.1f} s"
            )
        results = asyncio.run(_measure_all(built, args.rounds))

    big, small = results[0], results[1]
    big_idle = [median(r["idle"]) for r in results[0::2]]
    small_idle = [median(r["idle"]) for r in results[1::2]]
    idle, idle_small = min(big_idle), min(small_idle)
    print()
    print(f"start-up at {RATIO_BASE:,} dossiers: {small['startup']:.2f} s")
    print(
        f"idle pass: medians of {args.rounds} runs of {IDLE_RUNS:,} passes"
        f" {', '.join(f'{_ms(x):.2f}' for x in big_idle)} ms"
        f" (at {RATIO_BASE:,} dossiers {', '.join(f'{_ms(x):.2f}' for x in small_idle)} ms);"
        f" p90 {_ms(percentile(big['idle'], 0.9)):.2f} ms, max {_ms(max(big['idle'])):.2f} ms;"
        f" after the due passes {_ms(median(big['idle_after'])):.2f} ms"
    )
    passes = big["passes"]
    due_total = sum(p["due"] for p in passes)
    for index, one_pass in enumerate(passes, 1):
        print(
            f"due pass {index}: {one_pass['due']:,} due, {one_pass['queued']:,} queued,"
            f" {one_pass['skipped']} skipped, {one_pass['cancelled']} cancelled"
            f" in {one_pass['seconds']:.2f} s"
        )
    outcomes = ", ".join(f"{n:,} {outcome}" for outcome, n in big["outcomes"].items())
    print(
        f"sender: {outcomes or 'nothing'}; all queued after {big['queued_all']:.2f} s,"
        f" all delivered after {big['drain']:.2f} s"
    )
    print(f"memory right after start-up: {big['rss_after_start']:.0f} MB")
    print(f"machine after the run: {busy()}")
    print()
    ok = figure("start-up time", big["startup"], "s", target=TARGET_STARTUP_S, fmt=".2f")
    ok &= figure("idle pass (median)", _ms(idle), "ms", target=TARGET_IDLE_MS, fmt=".2f")
    if passes:
        figure(
            f"one pass with {due_total:,} due",
            passes[0]["seconds"],
            f"s (queues {passes[0]['queued']:,}: a pass takes at most {passes[0]['due']:,})"
            if len(passes) > 1
            else "s (queues them)",
            fmt=".2f",
        )
        figure(
            f"all {due_total:,} due queued and sent",
            big["drain"],
            f"s ({len(passes)} passes, the sender delivering meanwhile)",
            fmt=".2f",
        )
    ok &= figure("peak memory", big["peak_rss"], "MB", target=TARGET_PEAK_MB, fmt=".0f")
    ok &= figure(
        f"idle pass ratio {args.dossiers:,} / {RATIO_BASE:,} dossiers",
        idle / idle_small,
        "",
        target=TARGET_RATIO,
        fmt=".2f",
    )
    return 1 if args.check and not ok else 0


if __name__ == "__main__":
    sys.exit(main())
