"""The audit of staff actions: who of VIGC did what, and when (never a client's user id)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.db import Store, stamp, unstamp

BROADCAST = "broadcast"
CONFIRM = "confirm"
EXPORT = "export"
INVITE = "invite"  # /nieuwdossier made an invitation
IMPORT = "import"  # an enrolment list was turned into invitations
RESEND = "invitation_resend"
REVOKE = "invitation_revoke"
CORRECT = "invitation_correct"


@dataclass(frozen=True)
class AuditEntry:
    id: int
    staff_id: int
    action: str
    at: datetime
    dossier_id: int | None
    details: Mapping[str, Any]


async def record_action(
    store: Store,
    staff_id: int,
    action: str,
    now: datetime,
    dossier_id: int | None = None,
    details: Mapping[str, Any] | None = None,
) -> None:
    """Record a staff action (in the caller's transaction when given one)."""
    await store.execute(
        "INSERT INTO staff_audit (staff_id, action, at, dossier_id, details)"
        " VALUES (?, ?, ?, ?, ?)",
        (staff_id, action, stamp(now), dossier_id, json.dumps(dict(details or {}))),
    )


async def recent_actions(db: Store, limit: int = 100) -> list[AuditEntry]:
    """The latest actions, newest first."""
    rows = await db.fetch_all(
        "SELECT id, staff_id, action, at, dossier_id, details FROM staff_audit"
        " ORDER BY id DESC LIMIT ?",
        (limit,),
    )
    return [
        AuditEntry(
            id=row["id"],
            staff_id=row["staff_id"],
            action=row["action"],
            at=unstamp(row["at"]),
            dossier_id=row["dossier_id"],
            details=json.loads(row["details"]),
        )
        for row in rows
    ]
