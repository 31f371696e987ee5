"""storage/db.py: SQLite on the event loop's thread, heavy reads on a worker thread."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from storage.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(tmp_path / "bot.sqlite3")
    await database.open()
    await database.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
    await database.executemany("INSERT INTO t (name) VALUES (?)", [(f"n{i}",) for i in range(50)])
    yield database
    await database.close()


async def test_heavy_reads_give_the_same_rows_on_another_thread(db: Database) -> None:
    sql = "SELECT id, name FROM t ORDER BY id"
    plain = [tuple(row) for row in await db.fetch_all(sql)]
    assert [tuple(row) for row in await db.fetch_all(sql, heavy=True)] == plain
    async with db.transaction() as tx:
        await tx.execute("UPDATE t SET name = 'x' WHERE id = 1")
        rows = await tx.fetch_all(sql, heavy=True)  # sees the transaction's own writes
        assert rows[0]["name"] == "x"
        assert len(rows) == 50


async def test_a_heavy_read_does_not_hold_up_the_event_loop(db: Database) -> None:
    threads: list[str] = []
    ticks = 0

    def slow_step(value: str) -> str:
        threads.append(threading.current_thread().name)
        threading.Event().wait(0.002)  # a slow function per row, as a big table would be
        return value

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.005)
            ticks += 1

    raw = db._connection()
    raw.create_function("slow_step", 1, slow_step)
    task = asyncio.create_task(ticker())
    try:
        rows = await db.fetch_all("SELECT slow_step(name) FROM t", heavy=True)
    finally:
        task.cancel()
    assert len(rows) == 50
    assert threading.main_thread().name not in threads
    assert ticks >= 5  # about 0.1 s of statement, the loop went on meanwhile


async def test_each_commit_lets_other_tasks_run(db: Database) -> None:
    order: list[str] = []

    async def writer() -> None:
        for i in range(5):
            async with db.transaction() as tx:  # no await inside that ever waits
                await tx.execute("UPDATE t SET name = ? WHERE id = 1", (f"w{i}",))
            order.append("commit")

    async def other() -> None:
        for _ in range(5):
            order.append("other")
            await asyncio.sleep(0)

    await asyncio.gather(writer(), other())
    assert order[:4] == ["other", "commit", "other", "commit"]


async def test_a_failed_transaction_leaves_nothing(db: Database) -> None:
    async def failing() -> None:
        async with db.transaction() as tx:
            await tx.execute("DELETE FROM t")
            raise RuntimeError("handler failed")

    with pytest.raises(RuntimeError):
        await failing()
    row = await db.fetch_one("SELECT COUNT(*) AS n FROM t")
    assert row is not None
    assert row["n"] == 50


async def test_the_connection_of_a_transaction(db: Database) -> None:
    async with db.transaction() as tx:
        before = tx.conn.total_changes
        cursor = await tx.conn.execute("DELETE FROM t WHERE id <= ?", (3,))
        assert cursor.rowcount == 3
        assert tx.conn.total_changes - before == 3
        assert tx.conn.in_transaction
        cursor = await tx.conn.execute("SELECT COUNT(*) FROM t")
        assert (await cursor.fetchone() or [0])[0] == 47
        assert len(await (await tx.conn.execute("SELECT id FROM t")).fetchall()) == 47
