"""Where the sandbox's typed lines come from: a terminal, a pipe or a file, read by a thread."""

from __future__ import annotations

import asyncio
import codecs
import contextlib
import os
import threading
from typing import Protocol


class Lines(Protocol):
    """Where typed lines come from."""

    def start(self) -> None: ...

    def close(self) -> None: ...

    async def next_line(self) -> str | None: ...


class LineReader:
    """Lines typed on a file descriptor, read by a daemon thread.

    Works the same for a terminal, a pipe and a file. The thread reads the raw descriptor
    (no Python buffer or lock), so it never holds up the interpreter's exit.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self._queue: asyncio.Queue[str | None] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        threading.Thread(target=self._read, name="sandbox-stdin", daemon=True).start()

    def close(self) -> None:
        """End the input as if EOF was reached (Ctrl-C, SIGTERM)."""
        self._queue.put_nowait(None)

    async def next_line(self) -> str | None:
        """The next line without its line ending; ``None`` at the end of the input."""
        return await self._queue.get()

    def _read(self) -> None:
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        pending = ""
        while True:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            pending += decoder.decode(chunk, final=not chunk)
            *lines, pending = pending.split("\n")
            if not chunk and pending:
                lines.append(pending)
            for line in lines:
                self._put(line.removesuffix("\r"))
            if not chunk:
                self._put(None)
                return

    def _put(self, line: str | None) -> None:
        if self._loop is None:
            return
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is listening
            self._loop.call_soon_threadsafe(self._queue.put_nowait, line)
