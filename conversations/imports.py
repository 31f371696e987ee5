"""Enrolment lists (VIGC staff): a CSV or .xlsx sent as a document starts an import; the
preview's buttons confirm or cancel it. The work itself is `bot.imports.ImportWorker`'s."""

from __future__ import annotations

from bot.enrolment_files import MAX_IMPORT_BYTES, TableRejected
from bot.turn import Turn
from storage import imports as stored

MAX_FILENAME = 120


async def on_document(turn: Turn) -> None:
    """A document from staff: recorded, to be read; a preview follows."""
    message = turn.update.message
    document = message.document if message is not None else None
    if document is None:
        return
    if document.file_size and document.file_size > MAX_IMPORT_BYTES:
        limit = MAX_IMPORT_BYTES // (1024 * 1024)
        await turn.say("enrolment/rejected", rejected=TableRejected("too_large", limit=limit))
        return
    filename = (document.file_name or "lijst.csv")[:MAX_FILENAME]
    await stored.add_import(turn.tx, turn.user_id, document.file_id, filename, turn.now)
    await turn.say("enrolment/received", filename=filename)
    turn.services.imports_wakeup.set()


async def import_offered(turn: Turn, value: tuple[int, str]) -> bool:
    """The preview's buttons work once, for the staff member who sent the list."""
    item = await stored.get_import(turn.tx, value[0])
    return item is not None and item.staff_id == turn.user_id and item.status == stored.PREVIEWED


async def import_handled(turn: Turn, value: tuple[int, str]) -> None:
    """Says the list was confirmed or cancelled already."""
    item = await stored.get_import(turn.tx, value[0])
    await turn.say("enrolment/handled", status=item.status if item else "")


async def on_import(turn: Turn, value: tuple[int, str]) -> None:
    """Bevestig (with or without QR codes): the invitations are made and the file comes
    back. Annuleer: nothing is made."""
    import_id, action = value
    if action == "nee":
        await stored.finish(turn.tx, import_id, stored.CANCELLED, turn.now, was=stored.PREVIEWED)
        await turn.say("enrolment/cancelled")
        return
    await stored.confirm(turn.tx, import_id, action == "qr", turn.now)
    await turn.say("enrolment/working", qr=action == "qr")
    turn.services.imports_wakeup.set()
