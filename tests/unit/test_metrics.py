"""bot.metrics: a registry per runtime, the families and labels, the database gauges."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.clock import Clock
from bot.metrics import Metrics, Sources
from bot.outbox import text_message
from storage.db import Database
from storage.outbox import enqueue

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "metrics.sqlite3")
    await database.open()
    yield database
    await database.close()


def make_metrics(db: Any, **counters: Any) -> Metrics:
    clock = Clock(ZoneInfo("Europe/Brussels"))
    clock.travel_to(NOW)
    services = SimpleNamespace(db=db, clock=clock)
    sources = Sources(
        messages=lambda: counters.get("messages", {"sent": 3, "flood": 1}),
        last_pass=lambda: counters.get("last_pass"),
        telegram_seconds_ago=lambda: counters.get("ago"),
        webhook_responses=(lambda: counters["webhook"]) if "webhook" in counters else None,
        alerts=lambda: counters.get("alerts", {}),
        errors=lambda: counters.get("errors", 0),
    )
    return Metrics(services, sources)  # type: ignore[arg-type]


def samples(metrics: Metrics) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = metrics.render().decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_each_runtime_has_its_own_registry() -> None:
    first, second = make_metrics(None), make_metrics(None)  # no clash on the names
    first.observe_update("message", "handled", 0.02)
    first.observe_update("callback_query", "failed", 0.3)
    first.observe_update("message", "dropped", None)
    one, two = samples(first), samples(second)
    assert one[("kmo_bot_updates_total", (("kind", "message"), ("outcome", "handled")))] == 1
    assert one[("kmo_bot_updates_total", (("kind", "message"), ("outcome", "dropped")))] == 1
    assert one[("kmo_bot_updates_total", (("kind", "callback_query"), ("outcome", "failed")))] == 1
    assert two[("kmo_bot_updates_total", (("kind", "message"), ("outcome", "handled")))] == 0
    # A dropped update took no transaction: it is counted, not timed.
    assert one[("kmo_bot_update_handling_seconds_count", (("kind", "message"),))] == 1
    bucket = ("kmo_bot_update_handling_seconds_bucket", (("kind", "message"), ("le", "0.025")))
    assert one[bucket] == 1


def test_runtime_counters_are_read_at_scrape_time() -> None:
    counters: dict[str, Any] = {
        "messages": {"sent": 5, "flood": 2, "retried": 1},
        "webhook": {200: 7, 403: 1},
        "alerts": {"error": 1},
        "errors": 3,
        "ago": 1.5,
        "last_pass": NOW,
    }
    metrics = make_metrics(None, **counters)
    found = samples(metrics)
    assert found[("kmo_bot_messages_total", (("outcome", "sent"),))] == 5
    assert found[("kmo_bot_messages_total", (("outcome", "retried"),))] == 1
    assert found[("kmo_bot_telegram_429_total", ())] == 2
    assert found[("kmo_bot_webhook_requests_total", (("status", "403"),))] == 1
    assert found[("kmo_bot_alerts_total", (("kind", "error"),))] == 1
    assert found[("kmo_bot_errors_total", ())] == 3
    assert found[("kmo_bot_telegram_last_contact_seconds", ())] == 1.5
    assert found[("kmo_bot_scheduler_last_pass_timestamp_seconds", ())] == NOW.timestamp()
    counters["messages"]["sent"] = 6
    assert samples(metrics)[("kmo_bot_messages_total", (("outcome", "sent"),))] == 6
    # Polling mode: no webhook family at all; nothing known yet: no sample.
    bare = samples(make_metrics(None))
    assert not any(name.startswith("kmo_bot_webhook") for name, _ in bare)
    assert ("kmo_bot_telegram_last_contact_seconds", ()) not in bare


async def test_database_gauges(db: Database) -> None:
    metrics = make_metrics(db)
    await metrics.refresh()
    found = samples(metrics)
    assert found[("kmo_bot_outbox_backlog", ())] == 0
    assert found[("kmo_bot_inbox_unhandled", ())] == 0
    assert found[("kmo_bot_reminder_oldest_pending_seconds", ())] == 0
    await enqueue(db, text_message(1, "hallo"), NOW - timedelta(seconds=90))
    await metrics.refresh()
    found = samples(metrics)
    assert found[("kmo_bot_outbox_backlog", ())] == 1
    assert 90 <= found[("kmo_bot_outbox_oldest_seconds", ())] < 100


async def test_a_database_that_does_not_answer_leaves_its_gauges_out(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    metrics = make_metrics(db)
    await db.close()
    await metrics.refresh()
    found = samples(metrics)
    assert ("kmo_bot_outbox_backlog", ()) not in found
    assert ("kmo_bot_messages_total", (("outcome", "sent"),)) in found
    assert "did not answer" in caplog.text
