"""An enrolment list of 5,000 lines through the running bot, as staff send it.

    python bench/import_through_bot.py [--rows 5000] [--xlsx]

The real bot (in-process, the strict emulator as Telegram, SQLite in a temporary folder):
staff send the list as a document; the bot downloads it (getFile), reads and checks it,
and sends a preview; staff press "Bevestig"; the bot makes an invitation per line and sends
the list back as one CSV document with a link per line. Timed from the upload to the
preview, and from the press to the file back (target: under 5 s for the two together).
The rows are bench/enrolment_import.py's (about 1 % wrong lines, 0.5 % repeated ones),
their start dates moved to lie after the bot's "today".
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import io
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

from _common import STAFF_ID, START_OF_RUN, figure, fixed_clock, machine, make_settings
from enrolment_import import TODAY, as_csv, as_xlsx, build_rows

from bot.emulator import BotApiEmulator, FakeUser, SentMessage
from bot.runner import BotRuntime

TARGET_TOTAL_S = 5.0
ANSWER_TIMEOUT = 120.0
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def moved(rows: list[list[Any]]) -> list[list[Any]]:
    """The same rows, their start dates as far after the bot's today as after TODAY."""
    shift = START_OF_RUN.date() - TODAY
    return [[cell + shift if isinstance(cell, date) else cell for cell in row] for row in rows]


async def wait_for(user: FakeUser, predicate: Any) -> SentMessage:
    """The user's first new message that matches, within ANSWER_TIMEOUT seconds."""
    async with asyncio.timeout(ANSWER_TIMEOUT):
        while True:
            for message in user.new_messages():
                if predicate(message):
                    return message
            await asyncio.sleep(0.005)


async def run(rows: int, xlsx: bool) -> bool:
    table = moved(build_rows(rows))
    data, name = (as_xlsx(table), "lijst.xlsx") if xlsx else (as_csv(table), "lijst.csv")
    with tempfile.TemporaryDirectory() as folder:
        async with BotApiEmulator() as emulator:
            settings = make_settings(emulator.base_url, Path(folder) / "bot.sqlite3")
            runtime = BotRuntime(settings, fixed_clock())
            await runtime.start()
            try:
                return await _measure(runtime, emulator, data, name, rows)
            finally:
                await runtime.stop()


async def _measure(
    runtime: BotRuntime, emulator: BotApiEmulator, data: bytes, name: str, rows: int
) -> bool:
    staff = emulator.user(STAFF_ID, "Els")
    staff.mark()
    began = time.perf_counter()
    await staff.send_document(data, name, XLSX_TYPE if name.endswith("xlsx") else "text/csv")
    preview = await wait_for(staff, lambda m: "Voorbeeld van de import" in m.text)
    previewed = time.perf_counter()
    staff.mark()
    await staff.press("✅ Bevestig", preview)
    result = await wait_for(staff, lambda m: m.kind == "document")
    done = time.perf_counter()

    assert result.document is not None
    lines = list(csv.reader(io.StringIO(result.document.decode("utf-8-sig")), delimiter=";"))
    links = sum(1 for line in lines[1:] if line[-2].startswith("https://t.me/"))
    print(f"input: {name}, {len(data) / 1024:,.0f} KB, {rows:,} lines")
    print(f"result: one document, {len(result.document) / 1024:,.0f} KB, {len(lines) - 1:,} lines")
    print(f"links in the result: {links:,}")
    figure("upload to preview", previewed - began, "s", fmt=".2f")
    figure("Bevestig to the file back", done - previewed, "s", fmt=".2f")
    return figure("total", done - began, "s", target=TARGET_TOTAL_S, fmt=".2f")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000)
    parser.add_argument("--xlsx", action="store_true", help="send an .xlsx instead of a CSV")
    options = parser.parse_args()
    print(f"Enrolment list through the bot: {options.rows:,} lines")
    print(f"machine: {machine()}")
    return 0 if asyncio.run(run(options.rows, options.xlsx)) else 1


if __name__ == "__main__":
    sys.exit(main())
