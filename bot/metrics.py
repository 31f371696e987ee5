"""`/metrics` of one running bot, in Prometheus' text format (prometheus-client).

Each runtime has a registry of its own (not the library's global one), so that several
runtimes in one process (tests) do not clash. Counted as things happen: updates by kind and
outcome, and how long handling one took. Read at scrape time (a collector): what the sender
counted per outcome, the webhook's answers, the alerts, the last scheduler pass, the last
contact with Telegram, and from the database the outbox backlog, the inbox and the oldest
reminder that is due but not yet queued.

Counters: `kmo_bot_updates_total` {kind: message, callback_query, other; outcome: handled,
dropped, failed}, `kmo_bot_messages_total` {outcome: sent, blocked, failed, expired, retried,
flood, skipped}, `kmo_bot_telegram_429_total`, `kmo_bot_webhook_requests_total` {status}
(webhook mode), `kmo_bot_errors_total` (errors logged), `kmo_bot_alerts_total` {kind}.
Histogram: `kmo_bot_update_handling_seconds` {kind}. Gauges: `kmo_bot_outbox_backlog`,
`kmo_bot_outbox_oldest_seconds`, `kmo_bot_inbox_unhandled`,
`kmo_bot_reminder_oldest_pending_seconds` (0: none is overdue),
`kmo_bot_scheduler_last_pass_timestamp_seconds` (unix time),
`kmo_bot_telegram_last_contact_seconds` (seconds ago).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from bot.services import Services
from storage import inbox, outbox
from storage.reminders import next_due_at

_LOGGER = logging.getLogger(__name__)

PREFIX = "kmo_bot"
UPDATE_KINDS = ("message", "callback_query", "other")
UPDATE_OUTCOMES = (inbox.HANDLED, inbox.DROPPED, inbox.FAILED)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# The database reads of a scrape give up after this many seconds (the gauges are left out).
READ_TIMEOUT = 5.0


@dataclass
class Sources:
    """Where the collector reads the runtime's own counters at scrape time."""

    messages: Callable[[], Mapping[str, int]]
    last_pass: Callable[[], datetime | None]
    telegram_seconds_ago: Callable[[], float | None]
    webhook_responses: Callable[[], Mapping[int, int]] | None = None
    alerts: Callable[[], Mapping[str, int]] | None = None
    errors: Callable[[], int] | None = None


@dataclass
class _Snapshot:
    """What a scrape read from the database just before rendering."""

    backlog: int
    oldest_seconds: float
    unhandled: int
    reminder_overdue_seconds: float


class Metrics:
    def __init__(self, services: Services, sources: Sources) -> None:
        self.services = services
        self.sources = sources
        self.registry = CollectorRegistry()
        self.updates = Counter(
            f"{PREFIX}_updates",
            "Updates handled, by kind and outcome",
            ["kind", "outcome"],
            registry=self.registry,
        )
        self.latency = Histogram(
            f"{PREFIX}_update_handling_seconds",
            "Seconds from taking an update to committing its transaction",
            ["kind"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        for kind in UPDATE_KINDS:
            self.latency.labels(kind)
            for outcome in UPDATE_OUTCOMES:
                self.updates.labels(kind, outcome)
        self._snapshot: _Snapshot | None = None
        self.registry.register(_RuntimeCollector(self))

    @property
    def content_type(self) -> str:
        return CONTENT_TYPE_LATEST

    def observe_update(self, kind: str, outcome: str, seconds: float | None) -> None:
        """One update taken from the inbox: its outcome and (when handled) how long it took."""
        self.updates.labels(kind, outcome).inc()
        if seconds is not None:
            self.latency.labels(kind).observe(seconds)

    async def refresh(self) -> None:
        """Read the database gauges for the next `render()`."""
        db, now = self.services.db, self.services.clock.now()
        try:
            async with asyncio.timeout(READ_TIMEOUT):
                backlog, oldest = await outbox.backlog(db)
                unhandled = await inbox.count_unhandled(db)
                due = await next_due_at(db)
        except Exception as exc:
            _LOGGER.warning("Metrics: the database did not answer (%s)", type(exc).__name__)
            self._snapshot = None
            return
        self._snapshot = _Snapshot(
            backlog=backlog,
            oldest_seconds=0.0 if oldest is None else max(0.0, (now - oldest).total_seconds()),
            unhandled=unhandled,
            reminder_overdue_seconds=0.0 if due is None else max(0.0, (now - due).total_seconds()),
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)

    def collect_runtime(self) -> Iterator[Metric]:
        """The metrics read at scrape time (see the module docstring)."""
        sources = self.sources
        messages = CounterMetricFamily(
            f"{PREFIX}_messages", "Attempts to deliver outbox rows, by outcome", labels=["outcome"]
        )
        counts = sources.messages()
        for outcome, count in sorted(counts.items()):
            messages.add_metric([str(outcome)], count)
        yield messages
        yield CounterMetricFamily(
            f"{PREFIX}_telegram_429",
            "Too Many Requests answers from Telegram to sends",
            value=counts.get("flood", 0),
        )
        if sources.webhook_responses is not None:
            requests = CounterMetricFamily(
                f"{PREFIX}_webhook_requests", "Webhook requests, by answer", labels=["status"]
            )
            for status, count in sorted(sources.webhook_responses().items()):
                requests.add_metric([str(status)], count)
            yield requests
        if sources.errors is not None:
            yield CounterMetricFamily(
                f"{PREFIX}_errors", "Errors logged (unhandled exceptions)", value=sources.errors()
            )
        if sources.alerts is not None:
            alerts = CounterMetricFamily(
                f"{PREFIX}_alerts", "Alerts sent to the alert chat, by kind", labels=["kind"]
            )
            for kind, count in sorted(sources.alerts().items()):
                alerts.add_metric([kind], count)
            yield alerts
        last_pass = sources.last_pass()
        scheduler = GaugeMetricFamily(
            f"{PREFIX}_scheduler_last_pass_timestamp_seconds",
            "Unix time of the reminder scheduler's last pass",
        )
        if last_pass is not None:
            scheduler.add_metric([], last_pass.timestamp())
        yield scheduler
        ago = sources.telegram_seconds_ago()
        contact = GaugeMetricFamily(
            f"{PREFIX}_telegram_last_contact_seconds",
            "Seconds since the last successful contact with Telegram",
        )
        if ago is not None:
            contact.add_metric([], ago)
        yield contact
        yield from self._database_gauges()

    def _database_gauges(self) -> Iterator[Metric]:
        snapshot = self._snapshot
        if snapshot is None:
            return
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_backlog", "Messages waiting to be sent", value=snapshot.backlog
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_outbox_oldest_seconds",
            "Seconds the oldest waiting message has waited",
            value=snapshot.oldest_seconds,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_inbox_unhandled",
            "Updates stored, not handled yet",
            value=snapshot.unhandled,
        )
        yield GaugeMetricFamily(
            f"{PREFIX}_reminder_oldest_pending_seconds",
            "Seconds the oldest due reminder waits to be queued (0: none is due)",
            value=snapshot.reminder_overdue_seconds,
        )


class _RuntimeCollector(Collector):
    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        return self.metrics.collect_runtime()
