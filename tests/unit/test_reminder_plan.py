"""Pure reminder planning: which moments, and which due ones survive downtime."""

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from bot.domain.progress import Dossier, Step
from bot.domain.reminder_plan import (
    MISSED,
    DueReminder,
    choose_due,
    plan_reminders,
    retry_until,
)
from bot.domain.rules import load_rules

TZ = ZoneInfo("Europe/Brussels")
RULES = load_rules()


def _dossier(**done: date) -> Dossier:
    return Dossier(
        id=1,
        client_id=7,
        service="opleiding",
        theme="algemeen",
        title="T",
        start_date=date(2026, 12, 1),
        done={Step(k): v for k, v in done.items()},
    )


def _plan(dossier: Dossier, now: datetime, staff: bool = False):
    return plan_reminders(
        dossier,
        RULES.scheme_for(dossier.start_date),
        now=now,
        days_before=(7, 3, 1, 0),
        at=time(9),
        tz=TZ,
        staff=staff,
    )


def test_application_reminders_at_nine_local_before_the_deadline() -> None:
    plan = _plan(_dossier(), datetime(2026, 11, 28, 12, tzinfo=UTC))
    # deadline 15 December 2026; Brussels is UTC+1 in winter
    assert [(p.offset_days, p.due_at) for p in plan] == [
        (7, datetime(2026, 12, 8, 8, tzinfo=UTC)),
        (3, datetime(2026, 12, 12, 8, tzinfo=UTC)),
        (1, datetime(2026, 12, 14, 8, tzinfo=UTC)),
        (0, datetime(2026, 12, 15, 8, tzinfo=UTC)),
        (MISSED, datetime(2026, 12, 16, 8, tzinfo=UTC)),
    ]
    assert {p.kind for p in plan} == {"application"}
    assert {p.deadline for p in plan} == {date(2026, 12, 15)}


def test_moments_already_past_are_not_planned() -> None:
    plan = _plan(_dossier(), datetime(2026, 12, 13, 10, tzinfo=UTC))
    assert [p.offset_days for p in plan] == [1, 0, MISSED]


def test_staff_alert_one_day_before() -> None:
    plan = _plan(_dossier(), datetime(2026, 11, 28, tzinfo=UTC), staff=True)
    staff = [p for p in plan if p.audience == "staff"]
    assert [(p.offset_days, p.due_at) for p in staff] == [
        (1, datetime(2026, 12, 14, 8, tzinfo=UTC))
    ]


def test_payment_reminders_after_confirmation_and_none_once_paid() -> None:
    filed = {"filed": date(2026, 12, 2), "confirmed": date(2026, 12, 10)}
    plan = _plan(_dossier(**filed), datetime(2026, 12, 10, 12, tzinfo=UTC))
    assert {p.kind for p in plan} == {"payment"}
    assert {p.deadline for p in plan} == {date(2027, 1, 9)}
    assert _plan(_dossier(**filed), datetime(2026, 12, 10, tzinfo=UTC))
    paid = {**filed, "share_paid": date(2026, 12, 11)}
    assert _plan(_dossier(**paid), datetime(2026, 12, 11, tzinfo=UTC)) == []


def test_waiting_for_confirmation_has_no_reminders() -> None:
    assert _plan(_dossier(filed=date(2026, 12, 2)), datetime(2026, 12, 2, tzinfo=UTC)) == []


def test_dst_week_still_nine_local() -> None:
    # start 2027-03-20 -> deadline 2027-04-03; DST starts 2027-03-28
    dossier = Dossier(1, 7, "opleiding", "algemeen", "T", date(2027, 3, 20))
    plan = _plan(dossier, datetime(2027, 3, 20, tzinfo=UTC))
    assert all(p.due_at.astimezone(TZ).time() == time(9) for p in plan)
    hours = {p.offset_days: p.due_at.hour for p in plan}
    assert hours[7] == 8  # 27 March, still winter time (UTC+1)
    assert hours[3] == 7  # 31 March, summer time (UTC+2)


def _due(id_: int, offset: int, due_at: datetime, deadline: date = date(2026, 12, 15)):
    return DueReminder(id_, 1, "application", deadline, offset, "client", due_at)


def test_after_downtime_only_the_latest_missed_reminder_is_sent() -> None:
    due = [
        _due(1, 7, datetime(2026, 12, 8, 8, tzinfo=UTC)),
        _due(2, 3, datetime(2026, 12, 12, 8, tzinfo=UTC)),
    ]
    send, skip = choose_due(due, datetime(2026, 12, 13, 10, tzinfo=UTC), TZ)
    assert [r.id for r in send] == [2]
    assert [r.id for r in skip] == [1]


def test_after_the_deadline_only_the_missed_notice_is_sent() -> None:
    due = [
        _due(1, 1, datetime(2026, 12, 14, 8, tzinfo=UTC)),
        _due(2, 0, datetime(2026, 12, 15, 8, tzinfo=UTC)),
        _due(3, MISSED, datetime(2026, 12, 16, 8, tzinfo=UTC)),
    ]
    send, skip = choose_due(due, datetime(2026, 12, 16, 9, tzinfo=UTC), TZ)
    assert [r.id for r in send] == [3]
    assert sorted(r.id for r in skip) == [1, 2]


def test_last_day_reminder_is_dropped_after_midnight() -> None:
    due = [_due(2, 0, datetime(2026, 12, 15, 8, tzinfo=UTC))]
    send, skip = choose_due(due, datetime(2026, 12, 16, 0, 30, tzinfo=UTC), TZ)
    assert send == []
    assert [r.id for r in skip] == [2]


def test_a_reminder_is_worth_delivering_until_its_deadline_the_missed_notice_a_week_more() -> None:
    moment = datetime(2026, 12, 8, 8, tzinfo=UTC)
    reminder = DueReminder(1, 1, "application", date(2026, 12, 15), 7, "client", moment)
    assert retry_until(reminder) == date(2026, 12, 15)
    missed = DueReminder(2, 1, "application", date(2026, 12, 15), MISSED, "client", moment)
    assert retry_until(missed) == date(2026, 12, 22)
