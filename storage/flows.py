"""Where each user is in a conversation: one active flow and step, plus paused drafts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from storage.db import Store, stamp


@dataclass
class FlowState:
    """A flow the user is in (or left for a moment): its step, answers and offered buttons."""

    flow: str
    step: str
    draft: dict[str, Any] = field(default_factory=dict)
    offered: list[str] = field(default_factory=list)


async def active_flow(store: Store, user_id: int) -> FlowState | None:
    row = await store.fetch_one(
        "SELECT flow, step, draft, offered FROM flows WHERE user_id = ? AND active = 1",
        (user_id,),
    )
    return None if row is None else _state(row)


async def paused_flow(store: Store, user_id: int, flow: str) -> FlowState | None:
    """A draft left when the user typed another command (None when there is none)."""
    row = await store.fetch_one(
        "SELECT flow, step, draft, offered FROM flows WHERE user_id = ? AND flow = ?"
        " AND active = 0",
        (user_id, flow),
    )
    return None if row is None else _state(row)


async def save_flow(store: Store, user_id: int, state: FlowState, now: datetime) -> None:
    """Make `state` the user's one active flow (any other active one is paused first)."""
    await store.execute(
        "UPDATE flows SET active = 0 WHERE user_id = ? AND active = 1 AND flow <> ?",
        (user_id, state.flow),
    )
    await store.execute(
        "INSERT INTO flows (user_id, flow, step, draft, offered, active, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT (user_id, flow) DO UPDATE SET"
        " step = excluded.step, draft = excluded.draft, offered = excluded.offered,"
        " active = 1, updated_at = excluded.updated_at",
        (
            user_id,
            state.flow,
            state.step,
            json.dumps(state.draft, ensure_ascii=False, sort_keys=True),
            json.dumps(state.offered),
            stamp(now),
        ),
    )


async def pause_flow(store: Store, user_id: int, flow: str) -> None:
    await store.execute(
        "UPDATE flows SET active = 0, offered = '[]' WHERE user_id = ? AND flow = ?",
        (user_id, flow),
    )


async def drop_flow(store: Store, user_id: int, flow: str) -> None:
    await store.execute("DELETE FROM flows WHERE user_id = ? AND flow = ?", (user_id, flow))


def _state(row: Any) -> FlowState:
    return FlowState(
        flow=row["flow"],
        step=row["step"],
        draft=json.loads(row["draft"]),
        offered=json.loads(row["offered"]),
    )
