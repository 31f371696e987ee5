"""Which reminders a dossier should have, and which due ones to send after downtime.

Pure: no Telegram, no database. Moments are aware UTC datetimes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.domain.deadlines import reminder_moment
from bot.domain.progress import Dossier, current_deadline
from bot.domain.rules import Scheme

MISSED = -1  # offset of the notice sent the day after a missed deadline
CLIENT = "client"
STAFF = "staff"
STAFF_ALERT_DAYS_BEFORE = 1
MISSED_NOTICE_RETRY_DAYS = 7


@dataclass(frozen=True)
class PlannedReminder:
    kind: str
    deadline: date
    offset_days: int
    audience: str
    due_at: datetime


@dataclass(frozen=True)
class DueReminder:
    id: int
    dossier_id: int
    kind: str
    deadline: date
    offset_days: int
    audience: str
    due_at: datetime


def plan_reminders(
    dossier: Dossier,
    scheme: Scheme,
    *,
    now: datetime,
    days_before: Sequence[int],
    at: time,
    tz: ZoneInfo,
    staff: bool,
) -> list[PlannedReminder]:
    """The reminders still to come for the deadline that applies now (none once it is met).

    Moments already past when the date is recorded are left out: the deadline message itself
    already tells how many days are left.
    """
    deadline = current_deadline(dossier, scheme, now.astimezone(tz).date())
    if deadline is None:
        return []
    kind, due = deadline.kind.value, deadline.due
    planned = [
        PlannedReminder(kind, due, offset, CLIENT, reminder_moment(due, offset, at, tz))
        for offset in sorted(set(days_before), reverse=True)
    ]
    planned.append(PlannedReminder(kind, due, MISSED, CLIENT, reminder_moment(due, -1, at, tz)))
    if staff:
        moment = reminder_moment(due, STAFF_ALERT_DAYS_BEFORE, at, tz)
        planned.append(PlannedReminder(kind, due, STAFF_ALERT_DAYS_BEFORE, STAFF, moment))
    return [p for p in planned if p.due_at > now]


def deadline_passed(deadline: date, now: datetime, tz: ZoneInfo) -> bool:
    """True from midnight after the last allowed day, local time."""
    return now.astimezone(tz).date() > deadline


def choose_due(
    due: Iterable[DueReminder], now: datetime, tz: ZoneInfo
) -> tuple[list[DueReminder], list[DueReminder]]:
    """Split due reminders into (send, skip).

    Per dossier deadline and audience only the most recent one is sent: after downtime an
    older missed reminder would only repeat what the newer one says. Once the deadline has
    passed, only the "missed" notice still makes sense.
    """
    groups: dict[tuple[int, str, date, str], list[DueReminder]] = defaultdict(list)
    for reminder in due:
        key = (reminder.dossier_id, reminder.kind, reminder.deadline, reminder.audience)
        groups[key].append(reminder)
    send: list[DueReminder] = []
    skip: list[DueReminder] = []
    for group in groups.values():
        group.sort(key=lambda r: (r.offset_days == MISSED, r.due_at))
        latest = group[-1]
        if latest.offset_days != MISSED and deadline_passed(latest.deadline, now, tz):
            skip.extend(group)  # too late to remind; the missed notice follows the next day
            continue
        send.append(latest)
        skip.extend(group[:-1])
    return send, skip


def retry_until(reminder: DueReminder) -> date:
    """The last day on which a reminder that did not arrive yet is still worth delivering.

    Reminders help until the deadline; the "missed" notice (sent after it) for a week more.
    """
    until = reminder.deadline
    if reminder.offset_days == MISSED:
        until += timedelta(days=MISSED_NOTICE_RETRY_DAYS)
    return until
