"""VIGC staff commands: /dossiers, /export, /bevestig and /broadcasts.

/dossiers and /export also show the invitations no client has opened yet (/uitnodigingen
has them in full)."""

from __future__ import annotations

import html
import re
from datetime import date

from bot import buttons
from bot.buttons import Keyboard, keyboard
from bot.domain.dates import DateRejected, parse_date
from bot.domain.progress import Dossier, Step, current_deadline, step_date_problem
from bot.figures import figures_for
from bot.outbox import Kind, text_message
from bot.staff_overview import Urgency, export_csv, ranked
from bot.steps import complete_step
from bot.texts import label, render
from bot.turn import Turn
from conversations.common import dossier_view, show_in_pressed
from storage.audit import CONFIRM, EXPORT, record_action
from storage.broadcasts import recent_broadcasts
from storage.clients import get_client
from storage.dossiers import get_dossier
from storage.invitations import waiting_invitations
from storage.staff_queries import all_dossiers, open_dossiers

# Dossiers per /dossiers page: even with the longest names and titles under 4096 characters.
PAGE_SIZE = 6
RECENT_BROADCASTS = 10
SNIPPET_LENGTH = 80
_TAG = re.compile(r"<[^>]+>")


async def on_dossiers(turn: Turn) -> None:
    """The open dossiers, at-risk ones first, one page at a time."""
    text, markup = await _dossiers_page(turn, 1)
    await turn.send(text, markup)


async def on_dossiers_page(turn: Turn, page: int) -> None:
    """Another page of /dossiers, in the same message."""
    await show_in_pressed(turn, *await _dossiers_page(turn, page))


async def _dossiers_page(turn: Turn, page: int) -> tuple[str, Keyboard | None]:
    lines = ranked(turn.rules, await open_dossiers(turn.tx), turn.today)
    waiting = await waiting_invitations(turn.tx, turn.today)
    if not lines:
        return render("staff/dossiers_none", invitations=waiting), None
    pages = (len(lines) + PAGE_SIZE - 1) // PAGE_SIZE
    page = min(max(page, 1), pages)
    text = render(
        "staff/dossiers_page",
        lines=lines[(page - 1) * PAGE_SIZE : page * PAGE_SIZE],
        total=len(lines),
        at_risk=sum(1 for line in lines if line.urgency is Urgency.AT_RISK),
        page=page,
        pages=pages,
        invitations=waiting,
    )
    row = []
    if page > 1:
        row.append(buttons.STAFF_PAGE.button(label("page_previous"), page - 1))
    if page < pages:
        row.append(buttons.STAFF_PAGE.button(label("page_next"), page + 1))
    return text, keyboard(row) if row else None


async def on_export(turn: Turn) -> None:
    """Every dossier as a CSV file that Excel in Belgium opens as it should."""
    items = await all_dossiers(turn.tx)
    today = turn.today
    waiting = await waiting_invitations(turn.tx, today)
    data = export_csv(turn.rules, items, today, turn.services.settings.staff_ids, waiting)
    details = {"dossiers": len(items), "invitations": len(waiting)}
    await record_action(turn.tx, turn.user_id, EXPORT, turn.now, details=details)
    caption = render("staff/export_caption", count=len(items), waiting=len(waiting), today=today)
    await turn.send_file(Kind.DOCUMENT, data, f"dossiers-{today.isoformat()}.csv", caption)


async def on_confirm(turn: Turn) -> None:
    """VIGC's confirmation recorded (today or the given day); the client is told at once."""
    dossier_id = _dossier_number(turn.args[0]) if turn.args else None
    if dossier_id is None:
        await turn.say("staff/confirm_usage")
        return
    dossier = await get_dossier(turn.tx, dossier_id)
    if dossier is None:
        await turn.say("staff/confirm_not_found", dossier_id=dossier_id)
        return
    today = turn.today
    day = parse_date(" ".join(turn.args[1:]), today) if len(turn.args) > 1 else today
    if isinstance(day, DateRejected):
        await turn.say("staff/confirm_date_invalid", problem=day.reason)
        return
    problem = step_date_problem(dossier, Step.CONFIRMED, day, today)
    if problem:
        filed = dossier.done.get(Step.FILED)
        await turn.say("staff/confirm_date_invalid", problem=problem, day=day, filed=filed)
        return
    await _confirm(turn, dossier, day)


async def _confirm(turn: Turn, dossier: Dossier, day: date) -> None:
    services, staff_id = turn.services, turn.user_id
    # VIGC confirms a filed application: a filing the client did not report is recorded too.
    filed_too = Step.FILED not in dossier.done and Step.CONFIRMED not in dossier.done
    if filed_too:
        _, dossier = await complete_step(services, turn.tx, dossier, Step.FILED, day, staff_id)
    recorded, fresh = await complete_step(
        services, turn.tx, dossier, Step.CONFIRMED, day, by=staff_id
    )
    await record_action(
        turn.tx,
        staff_id,
        CONFIRM,
        turn.now,
        dossier_id=dossier.id,
        details={"day": day.isoformat(), "recorded": recorded, "filed_too": filed_too},
    )
    if not recorded:
        by_id = fresh.confirmed_by
        by = None if by_id is None else "staff" if services.is_staff(by_id) else "client"
        await turn.say(
            "staff/confirm_already",
            dossier=fresh,
            day=fresh.done.get(Step.CONFIRMED, day),
            by=by,
            by_id=by_id,
        )
        return
    scheme = services.rules.scheme_for(fresh.start_date)
    client = await get_client(turn.tx, fresh.client_id)
    notified = client is not None and client.active and await _tell_client(turn, fresh, day)
    await turn.say(
        "staff/confirm_done",
        dossier=fresh,
        client=client,
        day=day,
        filed_too=filed_too,
        deadline=current_deadline(fresh, scheme, turn.today),
        figures=await figures_for(turn.tx, turn.rules, fresh),
        notified=notified,
    )


async def _tell_client(turn: Turn, dossier: Dossier, day: date) -> bool:
    """The client hears of the confirmation with the payment deadline and sees the dossier."""
    scheme = turn.rules.scheme_for(dossier.start_date)
    deadline = current_deadline(dossier, scheme, turn.today)
    if deadline is None:
        return False
    news = render(
        "staff/client_confirmed",
        dossier=dossier,
        day=day,
        deadline=deadline,
        scheme=scheme,
        figures=await figures_for(turn.tx, turn.rules, dossier),
    )
    text, markup = await dossier_view(turn.services, turn.tx, dossier)
    await turn.enqueue(text_message(dossier.client_id, news))
    await turn.enqueue(text_message(dossier.client_id, text, markup))
    return True


def _dossier_number(raw: str) -> int | None:
    digits = raw.removeprefix("#")
    return int(digits) if digits.isascii() and digits.isdigit() and len(digits) < 12 else None


async def on_broadcasts(turn: Turn) -> None:
    """The latest broadcasts with their reports (or how far they are)."""
    items = await recent_broadcasts(turn.tx, RECENT_BROADCASTS)
    if not items:
        await turn.say("staff/broadcasts_none")
        return
    snippets = {broadcast.id: _snippet(broadcast.text) for broadcast, _ in items}
    await turn.say(
        "staff/broadcasts_list",
        items=items,
        snippets=snippets,
        tz=turn.services.settings.timezone,
    )


def _snippet(text_html: str) -> str:
    """The start of a broadcast as plain text."""
    plain = " ".join(html.unescape(_TAG.sub("", text_html)).split())
    if len(plain) <= SNIPPET_LENGTH:
        return plain
    return plain[: SNIPPET_LENGTH - 1].rstrip() + "…"
