"""Enrolment lists staff send as a document: read, previewed, and after "Bevestig" turned
into invitations, with the same list coming back with a link per line.

The update handler only records the document (`storage.imports`); this worker does the
slow parts outside any update: the download, reading and checking the rows (in a thread),
the invitations (one transaction), the result file and the QR archive (in a thread).
Every step is safe to repeat after a crash: a list is previewed once, its invitations are
made once (the dedupe key), and its result goes out in the transaction that marks it done.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from telegram import Bot
from telegram.error import BadRequest, Forbidden, TelegramError

from bot import buttons
from bot.aio import wait_any
from bot.buttons import Keyboard, column
from bot.domain.enrolment import ImportPlan, plan_import
from bot.domain.invitations import new_code
from bot.enrolment_files import (
    MAX_IMPORT_BYTES,
    Table,
    TableRejected,
    qr_zip,
    read_table,
    result_columns,
    result_csv,
    safe_file_name,
)
from bot.invitations import from_row, link_of
from bot.outbox import Kind, file_message, text_message
from bot.services import Services
from bot.texts import label, render
from storage import imports as stored
from storage.audit import IMPORT, record_action
from storage.imports import Import
from storage.invitations import by_keys, create_many
from storage.outbox import enqueue, enqueue_many

_LOGGER = logging.getLogger(__name__)

PASS_INTERVAL = 60.0
RETRY_SECONDS = 5.0  # after a failed download (Telegram busy or unreachable)
DOWNLOAD_ATTEMPTS = 10


@dataclass(frozen=True)
class _Checked:
    table: Table
    plan: ImportPlan


class ImportWorker:
    def __init__(self, services: Services, bot: Bot) -> None:
        self.services = services
        self.bot = bot
        self._failures: dict[int, int] = {}  # downloads that failed, by import

    async def run(self, stop: asyncio.Event) -> None:
        """Work through waiting and confirmed lists whenever woken, until `stop` is set."""
        wakeup = self.services.imports_wakeup
        while not stop.is_set():
            wakeup.clear()
            try:
                await self.run_once()
            except Exception:
                _LOGGER.exception("Import pass failed; trying again")
            pause = RETRY_SECONDS if self._failures else PASS_INTERVAL
            await wait_any(stop, wakeup, seconds=pause)

    async def run_once(self) -> None:
        for item in await stored.imports_to_do(self.services.db):
            if item.status == stored.WAITING:
                await self._preview(item)
            else:
                await self._make(item)

    async def wait_until_idle(self, seconds: float = 30.0) -> None:
        """Until no list waits to be read or made (tests and benchmarks)."""
        async with asyncio.timeout(seconds):
            while await stored.imports_to_do(self.services.db):
                self.services.imports_wakeup.set()
                await asyncio.sleep(0.02)

    # -- read and preview -----------------------------------------------------------------

    async def _preview(self, item: Import) -> None:
        data = await self._download(item)
        if data is None:
            return
        checked = await asyncio.to_thread(self._check, data, item.filename)
        now = self.services.clock.now()
        if isinstance(checked, TableRejected):
            await self._refuse(item, checked)
            return
        plan = checked.plan
        known = await by_keys(self.services.db, [row.key for row in plan.rows])
        text = render("enrolment/preview", plan=plan, known=len(known))
        markup = _preview_buttons(item.id) if plan.rows else None
        async with self.services.db.transaction() as tx:
            if not await stored.previewed(tx, item.id, data, now):
                return  # read before a crash: its preview went out then
            if not plan.rows:
                await stored.finish(tx, item.id, stored.CANCELLED, now, was=stored.PREVIEWED)
            await enqueue(tx, text_message(item.staff_id, text, markup), now)
        self.services.outbox_wakeup.set()

    def _check(self, data: bytes, filename: str) -> _Checked | TableRejected:
        """Read and check the list (CPU-bound: runs in a thread)."""
        table = read_table(data, filename)
        if isinstance(table, TableRejected):
            return table
        services = self.services
        plan = plan_import(
            table.header,
            table.rows,
            rules=services.rules,
            today=services.clock.today(),
            first_line=table.first_line,
        )
        if plan.missing_columns:
            return TableRejected("missing_columns", missing=plan.missing_columns)
        return _Checked(table, plan)

    async def _refuse(self, item: Import, rejected: TableRejected) -> None:
        now = self.services.clock.now()
        async with self.services.db.transaction() as tx:
            if await stored.finish(tx, item.id, stored.FAILED, now, was=item.status):
                text = render("enrolment/rejected", rejected=rejected)
                await enqueue(tx, text_message(item.staff_id, text), now)
        self.services.outbox_wakeup.set()

    async def _download(self, item: Import) -> bytes | None:
        """The file's bytes; None when it failed (told to staff once it is final)."""
        try:
            file = await self.bot.get_file(item.file_id)
            if file.file_size and file.file_size > MAX_IMPORT_BYTES:
                await self._refuse(item, _too_large())
                return None
            data = bytes(await file.download_as_bytearray())
        except (BadRequest, Forbidden) as exc:
            _LOGGER.warning("Import %s: the file cannot be downloaded: %s", item.id, exc)
            await self._refuse(item, TableRejected("not_a_table"))
            return None
        except TelegramError as exc:
            failures = self._failures.get(item.id, 0) + 1
            self._failures[item.id] = failures
            _LOGGER.warning("Import %s: download failed (%s), attempt %s", item.id, exc, failures)
            if failures >= DOWNLOAD_ATTEMPTS:
                self._failures.pop(item.id, None)
                await self._refuse(item, TableRejected("download_failed"))
            return None
        self._failures.pop(item.id, None)
        if len(data) > MAX_IMPORT_BYTES:
            await self._refuse(item, _too_large())
            return None
        return data

    # -- after "Bevestig": the invitations and the file back ------------------------------

    async def _make(self, item: Import) -> None:
        services, db = self.services, self.services.db
        data = await stored.content_of(db, item.id)
        checked = (
            None if data is None else await asyncio.to_thread(self._check, data, item.filename)
        )
        if not isinstance(checked, _Checked):  # cannot happen: it was read before
            await self._refuse(item, TableRejected("not_a_table"))
            return
        plan, now = checked.plan, services.clock.now()
        keys = [row.key for row in plan.rows]
        items = [(from_row(row, services.rules), new_code()) for row in plan.rows]
        async with db.transaction() as tx:
            before = await by_keys(tx, keys)
            made = await create_many(tx, items, item.staff_id, item.id, now)
        # Made by an earlier list (or /nieuwdossier), not by this one before a crash.
        known = {key for key, found in before.items() if found.import_id != item.id}
        links = {key: link_of(services, found) for key, found in made.items()}
        by_line, remarks = result_columns(plan, links, known)
        result = await asyncio.to_thread(result_csv, checked.table, by_line, remarks)
        files = [file_message(item.staff_id, Kind.DOCUMENT, result, _result_name(item.filename))]
        if item.want_qr:
            names = {
                f"regel{row.line}-{row.company}-{row.title}": links[row.key]
                for row in plan.rows
                if row.key in links
            }
            archive = await asyncio.to_thread(qr_zip, names)
            files.append(
                file_message(item.staff_id, Kind.DOCUMENT, archive, _qr_name(item.filename))
            )
        counts = {
            "created": len(keys) - len(known),
            "known": len(known),
            "repeated": len(plan.duplicates),
            "error_lines": len(plan.error_lines),
        }
        caption = render("enrolment/result_caption", qr=item.want_qr, **counts)
        async with db.transaction() as tx:
            if not await stored.finish(tx, item.id, stored.DONE, now, was=stored.CONFIRMED):
                return
            await enqueue_many(tx, [text_message(item.staff_id, caption), *files], now)
            await record_action(
                tx, item.staff_id, IMPORT, now, details={"import": item.id, **counts}
            )
        _LOGGER.info("Import %s done: %s", item.id, counts)
        services.outbox_wakeup.set()


def _preview_buttons(import_id: int) -> Keyboard:
    return column(
        [
            buttons.IMPORT.button(label("import_confirm"), (import_id, "ja")),
            buttons.IMPORT.button(label("import_confirm_qr"), (import_id, "qr")),
            buttons.IMPORT.button(label("import_cancel"), (import_id, "nee")),
        ]
    )


def _too_large() -> TableRejected:
    return TableRejected("too_large", limit=MAX_IMPORT_BYTES // (1024 * 1024))


def _named_after(filename: str, suffix: str, extension: str) -> str:
    """ "inschrijvingen.xlsx" -> "inschrijvingen-met-links.csv" (a name any system takes)."""
    stem = filename.rsplit(".", 1)[0] if "." in filename else filename
    stem = stem.removesuffix(f"-{suffix}")  # a result file sent back keeps its name
    return safe_file_name(f"{stem or 'lijst'}-{suffix}").removesuffix(".png") + extension


def _result_name(filename: str) -> str:
    return _named_after(filename, "met-links", ".csv")


def _qr_name(filename: str) -> str:
    return _named_after(filename, "qr-codes", ".zip")
