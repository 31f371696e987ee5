"""The flood guard: one user's burst must not use up what the bot can send for everyone.

More than `limit` updates from one user within `window` seconds: the first one over the
limit gets one calm answer, the rest of the burst is dropped. Once the user's pace is back
under the limit, everything is handled again. Kept in memory: after a restart a burst is
judged afresh, which at worst lets one more burst through.
"""

from __future__ import annotations

from collections import deque
from enum import Enum


class Verdict(Enum):
    HANDLE = "handle"
    WARN = "warn"  # the first update over the limit: answered with one calm message
    DROP = "drop"


class FloodGuard:
    def __init__(self, limit: int, window: float) -> None:
        self.limit = limit
        self.window = window
        self._seen: dict[int, deque[float]] = {}
        self._warned: set[int] = set()

    def check(self, user_id: int, moment: float) -> Verdict:
        """Judge an update of `user_id` sent at `moment` (seconds, e.g. the message date)."""
        seen = self._seen.setdefault(user_id, deque())
        while seen and seen[0] <= moment - self.window:
            seen.popleft()
        seen.append(moment)
        if len(seen) <= self.limit:
            self._warned.discard(user_id)
            return Verdict.HANDLE
        if user_id in self._warned:
            return Verdict.DROP
        self._warned.add(user_id)
        return Verdict.WARN

    def forget_quiet(self, now: float) -> None:
        """Drop what is known of users who have been quiet for a whole window."""
        for user_id in [
            u for u, seen in self._seen.items() if not seen or seen[-1] <= now - self.window
        ]:
            del self._seen[user_id]
            self._warned.discard(user_id)
