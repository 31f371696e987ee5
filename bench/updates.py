"""Updates benchmark: simulated clients each run a whole /aanvraag through the fake Bot API.

    python bench/updates.py [--clients 500] [--rate 100] [--no-max]
        [--global-rate 1000000] [--chat-rate 1] [--chat-burst 5] [--echo-http httpx|aiohttp]

The fake Bot API server (bot.emulator) and the clients run in this process; the bot runs in
a child process (bench/_common.py), so that its CPU time is read from /proc apart from the
server's. Phase 1 offers `--rate` updates per second (open loop: each update goes out at
its scheduled moment, Poisson arrivals by default) to the real bot and, in the same run and
through the same server, to a minimal python-telegram-bot echo bot with updates of the same
shape; the CPU time per update of the two gives the ratio. Phase 2 lets every client go as
fast as the answers come (closed loop) to find the highest sustained rate.

The real bot sends everything through its limiter (bot/limiter.py). Telegram's 30 messages
per second over all chats would cap it far below 100 updates/s, so by default this bench
lifts that global bucket (`--global-rate`; 30 is production) to measure the bot itself; the
per-chat pacing stays at the defaults (CHAT_RATE 1/s, CHAT_BURST 5), which the paced phase's
clients (one update every `clients / rate` seconds each, 5 s at the defaults) never reach.
The closed loop lifts the per-chat pacing too (nobody presses that fast).

Latency is from just before the update is queued in the server to the moment the bot's
first message in answer arrives at the server (after parsing, before the server answers).
See docs/benchmarks.md for the method and recorded results.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import STAFF_ID, UNLIMITED, BotProcess, busy, figure, machine, percentile

from bot.emulator import BotApiEmulator, FakeUser, SentMessage

# The application every client runs, one update per entry: (action, what, expected).
# action "send" types `what`; "press" presses the button labelled `what` on the latest
# keyboard. Each of `expected` must appear in the bot's answers (a text or a button label);
# the next step waits for all of them, and the run stops with the answers it got when they
# do not come, so a changed flow cannot go unnoticed. 3 texts and 5 presses, as before the
# flow changed. Keep in step with test_full_application_to_the_payment_deadline in
# tests/e2e/test_application_flow.py.
STANDARD_THEME = "Ander thema (standaardtarief)"
STEPS: list[tuple[str, str, tuple[str, ...]]] = [
    ("send", "/aanvraag", ("Opleiding",)),
    ("press", "Opleiding", ("Ja, ik ben ingeschreven",)),
    ("press", "Ja, ik ben ingeschreven", ("startdatum",)),
    # The dossier exists once the date is known: the deadline, then the theme question.
    ("send", "1/12/2026", ("dinsdag 15 december 2026", STANDARD_THEME)),
    ("press", STANDARD_THEME, ("korte naam",)),
    ("send", "Opleiding veilig werken", ("Klein",)),  # company size, asked once per client
    ("press", "Klein", ("Nog niet gekend",)),  # amount excl. VAT, with a skip button
    ("press", "Nog niet gekend", ("Opleiding veilig werken",)),  # the dossier as it stands
]

TARGET_P99_MS = 100.0
TARGET_CPU_RATIO = 1.5
# How long one answer may take before the run is declared broken.
ANSWER_TIMEOUT = 30.0
# User ids of the simulated clients: phase 1 from here, phase 2 from here + 1,000,000.
FIRST_USER_ID = 10_000_000


class TimedEmulator(BotApiEmulator):
    """The emulator, plus when each bot message arrived and a wake-up event per chat.

    FakeUser.wait_for_messages waits on one condition shared by every user, so each event
    wakes all waiting users; with hundreds waiting that costs more than the bot itself. The
    driver waits on its own event per chat instead.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.arrived: defaultdict[int, list[float]] = defaultdict(list)
        self.changed: defaultdict[int, asyncio.Event] = defaultdict(asyncio.Event)

    async def store_message(self, message: SentMessage) -> None:
        self.arrived[message.chat_id].append(time.perf_counter())
        await super().store_message(message)
        self.changed[message.chat_id].set()


class FlowChangedError(Exception):
    """The bot did not answer as STEPS expects."""


@dataclass
class PhaseResult:
    name: str
    updates: int = 0
    wall: float = 0.0
    bot_cpu: float = 0.0
    server_cpu: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    late: int = 0  # updates sent after their scheduled moment (waiting for the answer before)
    calls: Counter[str] = field(default_factory=Counter)  # Bot API requests by method

    @property
    def all_latencies(self) -> list[float]:
        return [x for values in self.latencies.values() for x in values]

    @property
    def rate(self) -> float:
        return self.updates / self.wall if self.wall else 0.0

    @property
    def cpu_per_update(self) -> float:
        return self.bot_cpu / self.updates if self.updates else float("nan")


def _matches(message: SentMessage, expected: str) -> bool:
    return expected in message.text or any(expected in label for label in message.buttons)


async def _answer(
    emu: TimedEmulator, user: FakeUser, seen: int, expected: tuple[str, ...]
) -> list[SentMessage]:
    """Wait until the messages after the first `seen` contain each of `expected` (until
    there is one, if `expected` is empty)."""
    event = emu.changed[user.id]
    deadline = time.perf_counter() + ANSWER_TIMEOUT
    while True:
        new = user.messages[seen:]
        if new and all(any(_matches(m, one) for m in new) for one in expected):
            return new
        event.clear()
        try:
            await asyncio.wait_for(event.wait(), max(0.0, deadline - time.perf_counter()))
        except TimeoutError:
            got = [m.text[:80] for m in user.messages[seen:]]
            raise FlowChangedError(
                f"user {user.id}: no answer containing {expected!r} within {ANSWER_TIMEOUT} s;"
                f" got {got!r}"
            ) from None


async def _client(
    emu: TimedEmulator,
    user: FakeUser,
    slots: Sequence[float] | None,
    echo: bool,
    result: PhaseResult,
) -> None:
    """One client runs STEPS; each update at its slot (or at once when `slots` is None)."""
    arrived = emu.arrived[user.id]
    for number, (action, what, expected) in enumerate(STEPS):
        if slots is not None:
            delay = slots[number] - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            elif delay < -0.001:
                result.late += 1
        seen = len(arrived)
        sent_at = time.perf_counter()
        if action == "send":
            await user.send(what)
        elif action == "press" and echo:  # the echo bot has no keyboards: same update shape
            await user.press_data(user.last.message_id, f"echo:{what}"[:64])
        elif action == "press":
            await user.press(what)
        else:
            raise ValueError(f"unknown action {action!r} in STEPS")
        await _answer(emu, user, seen, () if echo else expected)
        kind = "text" if action == "send" else "button"
        result.latencies[kind].append(arrived[seen] - sent_at)
        result.updates += 1


def _slots(clients: int, rate: float, arrivals: str, seed: int, start: float) -> list[list[float]]:
    """Scheduled moments: update i of the run goes to client i % clients, step i // clients.

    Every client is thus mid-application during the whole phase, its steps clients/rate
    seconds apart on average, while the server sees `rate` updates per second.
    """
    rng = random.Random(seed)
    total = clients * len(STEPS)
    moments: list[float] = []
    now = start
    for _ in range(total):
        moments.append(now)
        now += rng.expovariate(rate) if arrivals == "poisson" else 1.0 / rate
    return [moments[c::clients] for c in range(clients)]


async def _phase(
    emu: TimedEmulator,
    bot: BotProcess,
    name: str,
    users: list[FakeUser],
    *,
    rate: float | None,
    arrivals: str,
    seed: int,
    echo: bool,
) -> PhaseResult:
    result = PhaseResult(name)
    # No garbage collection in this process while the clock runs: a full collection of the
    # server's records took up to 150 ms and delayed every update in flight.
    gc.collect()
    gc.disable()
    start = time.perf_counter() + 0.2
    slots = _slots(len(users), rate, arrivals, seed, start) if rate else None
    bot_cpu, server_cpu = bot.cpu_seconds(), time.process_time()
    calls_before = Counter(emu.stats.requests)
    began = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as group:
            for index, user in enumerate(users):
                group.create_task(
                    _client(emu, user, None if slots is None else slots[index], echo, result)
                )
    except ExceptionGroup as failed:
        broken = failed.subgroup(FlowChangedError)
        if broken is None:
            raise
        while isinstance(first := broken.exceptions[0], ExceptionGroup):
            broken = first
        raise first from failed
    finally:
        gc.enable()
    result.wall = time.perf_counter() - (start if slots else began)
    result.bot_cpu = bot.cpu_seconds() - bot_cpu
    result.server_cpu = time.process_time() - server_cpu
    result.calls = Counter(emu.stats.requests) - calls_before
    return result


async def _run_bot(
    kind: str, workdir: Path, args: argparse.Namespace, id_base: int
) -> tuple[PhaseResult, PhaseResult | None]:
    """Start the `kind` bot against a fresh emulator; the paced phase, then the max phase."""
    echo = kind == "echo"
    async with TimedEmulator() as emu:
        emu.user(STAFF_ID, "Els", "els_vigc")
        paced_users = [
            emu.user(id_base + i, f"Klant{i}", f"klant_{i}") for i in range(args.clients)
        ]
        options = ["--http", args.echo_http] if echo else _limiter_options(args)
        bot = BotProcess(kind, emu.base_url, workdir / f"{kind}.sqlite3", options)
        await bot.start()
        try:
            paced = await _phase(
                emu,
                bot,
                f"{kind} paced",
                paced_users,
                rate=args.rate,
                arrivals=args.arrivals,
                seed=args.seed,
                echo=echo,
            )
            flat: PhaseResult | None = None
            if not args.no_max:
                fresh = [
                    emu.user(id_base + 1_000_000 + i, f"Klant{i}", f"klant_b{i}")
                    for i in range(args.clients)
                ]
                if not echo:
                    bot.lift_chat_limit()  # as fast as the answers come: no person's pace
                flat = await _phase(
                    emu,
                    bot,
                    f"{kind} max",
                    fresh,
                    rate=None,
                    arrivals=args.arrivals,
                    seed=args.seed,
                    echo=echo,
                )
            # Before stopping: PTB's last getUpdates at shutdown ends its own long poll 409.
            _check_server(emu, kind)
        except BaseException:
            sys.stderr.write(bot.errors())
            raise
        finally:
            await bot.stop()
        return paced, flat


def _limiter_options(args: argparse.Namespace) -> list[str]:
    options = ["--global-rate", f"{args.global_rate:g}"]
    if args.chat_rate is not None:
        options += ["--chat-rate", f"{args.chat_rate:g}"]
    if args.chat_burst is not None:
        options += ["--chat-burst", str(args.chat_burst)]
    return options


def _limiter_text(args: argparse.Namespace) -> str:
    chat_rate = 1.0 if args.chat_rate is None else args.chat_rate
    chat_burst = 5 if args.chat_burst is None else args.chat_burst
    overall = "lifted" if args.global_rate >= UNLIMITED else f"{args.global_rate:g} messages/s"
    return (
        f"KMO bot's limiter: all chats together {overall} (production: 30/s);"
        f" per chat {chat_rate:g}/s, burst {chat_burst} (the defaults are 1/s, burst 5)"
    )


def _check_server(emu: BotApiEmulator, kind: str) -> None:
    """Every request was valid and every button press answered."""
    if emu.internal_errors:
        raise RuntimeError(f"emulator errors: {emu.internal_errors!r}")
    unanswered = emu.unanswered_callbacks()
    if unanswered:
        raise RuntimeError(f"{len(unanswered)} button presses were never answered")
    bad = {status: n for status, n in emu.stats.responses.items() if status >= 400}
    if bad:
        raise RuntimeError(f"{kind} bot got error answers from the server: {bad}")


def _ms(seconds: float) -> float:
    return seconds * 1000


def _describe(result: PhaseResult) -> None:
    values = result.all_latencies
    print(
        f"  {result.updates:,} updates in {result.wall:.1f} s = {result.rate:.1f} updates/s;"
        f" latency p50 {_ms(percentile(values, 0.5)):.1f} ms,"
        f" p99 {_ms(percentile(values, 0.99)):.1f} ms, max {_ms(max(values)):.1f} ms"
    )
    for kind, kind_values in sorted(result.latencies.items()):
        print(
            f"    {kind} updates ({len(kind_values):,}): p50"
            f" {_ms(percentile(kind_values, 0.5)):.1f} ms,"
            f" p99 {_ms(percentile(kind_values, 0.99)):.1f} ms"
        )
    print(
        f"  bot process CPU {result.bot_cpu:.2f} s = {_ms(result.cpu_per_update):.2f} ms/update"
        f" ({result.bot_cpu / result.wall:.0%} of one core);"
        f" fake server + clients CPU {result.server_cpu:.2f} s"
        f" = {_ms(result.server_cpu / result.updates):.2f} ms/update"
    )
    calls = result.calls
    per_update = sum(n for m, n in calls.items() if m != "getUpdates") / max(1, result.updates)
    detail = ", ".join(
        f"{method} {n / max(1, result.updates):.2f}" for method, n in calls.most_common()
    )
    print(f"  Bot API calls per update, getUpdates aside: {per_update:.2f} ({detail})")
    if result.late:
        print(f"  {result.late} updates went out late (their previous answer came after the slot)")


async def _main(args: argparse.Namespace) -> bool:
    total = args.clients * len(STEPS)
    print(
        f"Updates benchmark: {args.clients:,} clients x {len(STEPS)} updates ="
        f" {total:,} updates, offered {args.rate:g}/s ({args.arrivals} arrivals)"
    )
    print(f"machine: {machine()}")
    print("flow: " + " -> ".join(what for _, what, _ in STEPS))
    print(
        f"pace: each client sends an update every {args.clients / args.rate:.1f} s on average"
        " in the paced phase"
    )
    print(_limiter_text(args) + "; the closed loop lifts the per-chat limit")
    with tempfile.TemporaryDirectory(prefix="bench-updates-") as tmp:
        workdir = Path(tmp)
        echo_paced: PhaseResult | None = None
        echo_max: PhaseResult | None = None
        if not args.no_echo:
            echo_paced, echo_max = await _run_bot("echo", workdir, args, FIRST_USER_ID)
        bot_paced, bot_max = await _run_bot("kmo", workdir, args, FIRST_USER_ID)
    print()
    if echo_paced is not None:
        print(f"Echo baseline (minimal python-telegram-bot bot, {args.echo_http}), paced:")
        _describe(echo_paced)
    print("KMO bot, paced:")
    _describe(bot_paced)
    if bot_max is not None:
        print(f"Closed loop, all {args.clients:,} clients at once:")
        if echo_max is not None:
            print(" echo:")
            _describe(echo_max)
        print(" KMO bot:")
        _describe(bot_max)

    print(f"machine after the run: {busy()}")
    print()
    latencies = bot_paced.all_latencies
    figure("updates per second", bot_paced.rate, f"(offered {args.rate:g})")
    figure("p50 latency", _ms(percentile(latencies, 0.5)), "ms")
    ok = figure("p99 latency", _ms(percentile(latencies, 0.99)), "ms", target=TARGET_P99_MS)
    echo_text = (
        "" if echo_paced is None else f" (echo bot {_ms(echo_paced.cpu_per_update):.2f} ms)"
    )
    figure("CPU per update", _ms(bot_paced.cpu_per_update), "ms" + echo_text, fmt=".2f")
    if echo_paced is not None:
        ratio = bot_paced.cpu_per_update / echo_paced.cpu_per_update
        ok &= figure("CPU ratio vs echo bot", ratio, "", target=TARGET_CPU_RATIO, at_most=True)
    if bot_max is not None:
        echo_rate = "" if echo_max is None else f"echo bot {echo_max.rate:.0f}; "
        figure(
            "max sustained rate",
            bot_max.rate,
            f"updates/s ({echo_rate}bot process at"
            f" {bot_max.bot_cpu / bot_max.wall:.0%} of one core)",
        )
        if echo_max is not None:
            figure(
                "CPU ratio at max rate",
                bot_max.cpu_per_update / echo_max.cpu_per_update,
                "",
                fmt=".2f",
            )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=500, help="simulated clients (500)")
    parser.add_argument("--rate", type=float, default=100.0, help="offered updates/s (100)")
    parser.add_argument(
        "--arrivals",
        choices=("poisson", "uniform"),
        default="poisson",
        help="spacing of the paced updates (poisson)",
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed of the arrivals")
    parser.add_argument("--no-max", action="store_true", help="skip the closed-loop phase")
    parser.add_argument(
        "--no-echo", action="store_true", help="skip the echo baseline (no ratio; profiling)"
    )
    parser.add_argument(
        "--global-rate",
        type=float,
        default=UNLIMITED,
        help="the KMO bot's limit over all chats, messages/s (default: lifted; production 30)",
    )
    parser.add_argument(
        "--chat-rate", type=float, default=None, help="CHAT_RATE of the KMO bot (default 1)"
    )
    parser.add_argument(
        "--chat-burst", type=int, default=None, help="CHAT_BURST of the KMO bot (default 5)"
    )
    parser.add_argument(
        "--echo-http",
        choices=("httpx", "aiohttp"),
        default="httpx",
        help="the echo bot's HTTP client: python-telegram-bot's own (httpx, the yardstick)"
        " or the real bot's (aiohttp, bot/http.py)",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.rate <= 0:
        parser.error("--clients and --rate must be positive")
    try:
        met = asyncio.run(_main(args))
    except FlowChangedError as exc:
        print(f"FLOW CHANGED? {exc}\nAdjust STEPS at the top of bench/updates.py.")
        return 2
    return 1 if args.check and not met else 0


if __name__ == "__main__":
    sys.exit(main())
