"""The bot's notion of "now": real time, optionally shifted (sandbox time travel)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.domain.dates import local_today


class Clock:
    def __init__(self, tz: ZoneInfo) -> None:
        self.tz = tz
        self.offset = timedelta(0)

    def now(self) -> datetime:
        """Aware UTC now (time-machine in tests moves this too)."""
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        """Today's calendar date in the bot's time zone."""
        return local_today(self.now(), self.tz)

    def advance(self, delta: timedelta) -> None:
        self.offset += delta

    def travel_to(self, moment: datetime) -> None:
        """Make `now()` read `moment` (aware) from here on, ticking along with real time."""
        self.offset = moment - datetime.now(UTC)
