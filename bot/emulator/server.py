"""A strict local Telegram Bot API emulator on 127.0.0.1 (aiohttp).

Point python-telegram-bot at it with ``base_url(emu.base_url)`` and
``base_file_url(emu.base_file_url)``. The emulator validates requests the way Telegram does
(HTML parse mode, text limits, keyboards, known chats, edits) and answers with Telegram's
error descriptions, so a bot that works against it does not trip over those on the real API.
Tests drive it through ``emu.user(...)`` (a ``FakeUser``); other processes through the JSON
control API under ``/_emulator/``.

``BotApiEmulator`` is the server and the test-side API; the Bot API methods live in its parts
(``chats``, ``files``, ``profile``, ``updates``, ``webhook``), failures in ``faults`` and
``limiter``. The parts and the fake users only use public methods of each other.
"""

# The helpers take a `timeout` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable, Collection
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from bot.emulator.chats import ChatStore
from bot.emulator.control import ControlApi
from bot.emulator.dispatch import ApiDispatcher
from bot.emulator.faults import DEFAULT_STALL, FaultInjector, FaultWindow, RateLimiter
from bot.emulator.files import FileStore
from bot.emulator.profile import BotProfile
from bot.emulator.records import ApiCall, CallbackAnswer, EmulatorStats, SentMessage, StoredFile
from bot.emulator.request import MAX_UPLOAD_BYTES, TOKEN_PATTERN, ApiError, Handler
from bot.emulator.updates import UpdateQueue
from bot.emulator.users import FakeUser
from bot.emulator.webhook import Webhook

# ApiCall, EmulatorStats and StoredFile live in records.py; they stay importable from here.
__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "EmulatorStats", "FaultWindow", "StoredFile"]


class BotApiEmulator:
    """The emulated Bot API server. See the module docstring."""

    def __init__(
        self,
        token: str | None = None,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        bot_username: str = "emulator_bot",
        bot_first_name: str = "Emulator Bot",
        global_rate_limit: float | None = None,
        per_chat_rate_limit: float | None = None,
        per_chat_burst: int = 1,
        retry_after: int = 1,
        delay: float = 0.0,
        callback_query_ttl: float = 15.0,
        strict_html: bool = True,
        max_recorded_requests: int = 10_000,
    ) -> None:
        if token is not None and not TOKEN_PATTERN.fullmatch(token):
            raise ValueError(f"not a valid bot token: {token!r}")
        if host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("the emulator only listens on the loopback interface")
        self.token = token
        self.host = host
        self.clock = clock
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.global_rate_limit = global_rate_limit
        self.per_chat_rate_limit = per_chat_rate_limit
        self.per_chat_burst = per_chat_burst
        """Sends a chat may make at once before ``per_chat_rate_limit`` applies (token
        bucket); at 1 the limit is a strict sliding window."""
        self.retry_after = retry_after
        self.delay = delay
        self.callback_query_ttl = callback_query_ttl
        self.strict_html = strict_html
        self.webhook_retry_initial = 0.1
        """Seconds before the first retry of a failed webhook delivery; doubles per failure."""
        self.webhook_retry_max = 2.0
        self.webhook_timeout = 10.0
        """Seconds the webhook has to answer a delivery."""

        self.stats = EmulatorStats()
        self.requests: deque[ApiCall] = deque(maxlen=max_recorded_requests)
        self.answered_callbacks: list[CallbackAnswer] = []
        self.chat_actions: list[tuple[int, str]] = []
        self.events: list[dict[str, Any]] = []
        self.internal_errors: list[Exception] = []
        """Unexpected exceptions inside the emulator (should stay empty)."""

        self._requested_port = port
        self._port: int | None = None
        self._runner: web.AppRunner | None = None
        self._closing = False
        self._cond: asyncio.Condition | None = None
        self._cond_loop: asyncio.AbstractEventLoop | None = None
        self._users: dict[int, FakeUser] = {}
        self._blocked: set[int] = set()

        self.chats = ChatStore(self)
        self.files = FileStore(self)
        self.profile = BotProfile(self)
        self.updates = UpdateQueue(self)
        self.webhook = Webhook(self)
        self.faults = FaultInjector(self)
        self.limiter = RateLimiter(self)
        self._control = ControlApi(self)
        methods: dict[str, Handler] = {}
        for part in (self.chats, self.files, self.profile, self.updates, self.webhook):
            methods.update(part.methods())
        self._api = ApiDispatcher(self, methods)

    # ------------------------------------------------------------------ lifecycle

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the emulator is not running; call start() first")
        return self._port

    @property
    def url(self) -> str:
        """Root URL of the server, e.g. ``http://127.0.0.1:PORT``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.url}/file/bot"

    @property
    def running(self) -> bool:
        return self._runner is not None

    @property
    def closing(self) -> bool:
        """The server is stopping: long polls and waits end now."""
        return self._closing

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        self._control.register(app)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self.files.handle_download)
        app.router.add_route("*", "/{path:.*}", self._api.handle)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])
        self.webhook.start_delivery()  # after a restart with a webhook still set

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        await self.webhook.stop_delivery()
        await self.notify()  # release pending long polls and stalled requests
        await runner.cleanup()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # ------------------------------------------------------------------ test-side API

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        username: str | None = None,
        *,
        last_name: str | None = None,
        language_code: str | None = None,
    ) -> FakeUser:
        """Register (or return the existing) user with a private chat with the bot."""
        existing = self._users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        fake = FakeUser(self, user_id, first_name, username, last_name, language_code)
        self._users[user_id] = fake
        self.chats.open_chat(user_id)
        return fake

    @property
    def users(self) -> dict[int, FakeUser]:
        return dict(self._users)

    def find_user(self, user_id: int) -> FakeUser | None:
        """The registered user with this id (``None`` if none: no chat with the bot)."""
        return self._users.get(user_id)

    def block(self, user_id: int) -> None:
        """From now on the user has blocked the bot: sends to them answer 403."""
        self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        self._blocked.discard(user_id)

    def is_blocked(self, user_id: int) -> bool:
        return user_id in self._blocked

    def fail_next(
        self,
        method: str,
        status: int = 502,
        count: int = 1,
        chat_id: int | None = None,
        *,
        description: str | None = None,
    ) -> None:
        """Answer the next ``count`` calls of ``method`` ("*" for any) with ``status``.

        With ``chat_id``, only calls for that chat count. 429 carries ``retry_after``.
        """
        self.faults.fail_next(method, status, count, chat_id, description)

    def inject_faults(
        self,
        share: float,
        *,
        duration: float,
        kinds: Collection[str] = ("429", "502", "timeout"),
        methods: Collection[str] | None = None,
        retry_after: int = 1,
        stall: float = DEFAULT_STALL,
        seed: int = 0,
        apply_before_stall: bool = False,
    ) -> FaultWindow:
        """For ``duration`` seconds from now, fail a ``share`` (0..1) of the requests.

        Each request to one of ``methods`` (``None``: every Bot API method) fails with
        probability ``share``, drawn from ``random.Random(seed)`` so a run repeats exactly,
        as one of ``kinds`` (picked with the same generator):

        - ``"429"``: ``Too Many Requests`` with ``parameters.retry_after = retry_after``;
        - ``"502"``: ``Bad Gateway``;
        - ``"timeout"``: the request is held open for ``stall`` seconds (until the client
          gives up) and then answered ``504 Gateway Timeout``, the method not performed.
          With ``apply_before_stall`` the method is performed first and its normal answer
          comes after the stall: the message did arrive, yet a client with a shorter read
          timeout thinks it failed.

        ``fail_next`` faults come first. Injected faults are counted in
        ``stats.injected`` (and in the returned window's ``injected``); ``clear_faults()``
        ends every window early.
        """
        return self.faults.add_window(
            share,
            duration=duration,
            kinds=kinds,
            methods=methods,
            retry_after=retry_after,
            stall=stall,
            seed=seed,
            apply_before_stall=apply_before_stall,
        )

    def clear_faults(self) -> None:
        """Forget pending ``fail_next`` faults and end every ``inject_faults`` window."""
        self.faults.clear()

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """A message the bot sent in the chat (also when deleted since), or ``None``."""
        return self.chats.find(chat_id, message_id)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of the recorded requests of ``method`` (any status), oldest first."""
        wanted = method.lower()
        return [call.params for call in self.requests if call.method.lower() == wanted]

    def unanswered_callbacks(self) -> list[str]:
        """Ids of callback queries that were delivered to the bot but never answered."""
        return self.updates.unanswered_callbacks()

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands the bot set for exactly this scope and language."""
        return self.profile.commands(scope or {"type": "default"}, language_code)

    def visible_commands(self, user_id: int, language_code: str = "") -> list[dict[str, str]]:
        """The command menu a user sees in the private chat (Telegram's resolution order)."""
        return self.profile.visible_commands(user_id, language_code)

    def get_file(self, file_id: str) -> StoredFile:
        stored = self.files.get(file_id)
        if stored is None:
            raise KeyError(f"unknown file_id {file_id!r}")
        return stored

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (offset) or accepted by its webhook."""
        return self.updates.pending

    async def inject_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of type ``kind`` (e.g. ``"my_chat_member"``); returns its id."""
        return await self.updates.enqueue(None, kind, payload)

    async def wait_for_events(self, after: int = 0, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The ``events`` with a ``seq`` above ``after``, waiting up to ``timeout`` seconds
        for the first one; an empty list on timeout or once the emulator stops.

        Lets an in-process watcher (the terminal sandbox) follow every chat without polling.
        """
        await self.wait_until(lambda: len(self.events) > after or self._closing, timeout)
        return self.events[after:]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Wait until ``predicate()`` holds, re-checking whenever the emulator handled
        something; whether it holds (``False`` after ``timeout`` seconds)."""
        cond = self._get_cond()
        try:
            async with asyncio.timeout(timeout), cond:
                await cond.wait_for(predicate)
        except TimeoutError:
            return predicate()
        return True

    # ------------------------------------------------------------------ for users and parts

    async def send_as_user(self, user: FakeUser, content: dict[str, Any]) -> int:
        """Queue a message from ``user`` to the bot (what ``FakeUser.send*`` do); its id."""
        return await self.updates.user_message(user, content)

    async def press_as_user(self, user: FakeUser, message_id: int, data: str) -> str:
        """Queue a callback query of ``user`` on ``message_id``; the query id."""
        return await self.updates.callback_query(user, message_id, data)

    def store_file(
        self, data: bytes, filename: str, mime_type: str, folder: str = "documents"
    ) -> StoredFile:
        """Keep a file under a new file_id (``folder``: ``documents``, ``photos``, ...)."""
        return self.files.store(data, filename, mime_type, folder)

    def alias_file(self, file_id: str, stored: StoredFile) -> None:
        self.files.alias(file_id, stored)

    def has_undelivered(self, user_id: int) -> bool:
        """Whether an update of this user has not reached the bot yet."""
        return self.updates.has_undelivered(user_id)

    async def store_message(self, message: SentMessage) -> None:
        """Keep a message the bot just sent and show it to its user; every send ends here,
        so a subclass can override this to watch them."""
        await self._store_message(message)

    async def _store_message(self, message: SentMessage) -> None:
        # The override point bench/updates.py uses; new code overrides store_message.
        await self.chats.keep(message, self._users[message.chat_id])

    def loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def date(self) -> int:
        """Now as a Unix time of ``clock`` (message dates, edit dates)."""
        return int(self.clock())

    def record_event(self, kind: str, chat_id: int | None, **data: Any) -> None:
        """Append to ``events`` (the sandbox and the control API follow them)."""
        self.events.append({"seq": len(self.events) + 1, "type": kind, "chat_id": chat_id, **data})

    async def notify(self) -> None:
        """Wake every ``wait_until``: something changed."""
        cond = self._get_cond()
        async with cond:
            cond.notify_all()

    def _get_cond(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond = asyncio.Condition()
            self._cond_loop = loop
        return self._cond

    def token_ok(self, token: str) -> bool:
        if self.token is not None:
            return token == self.token
        return TOKEN_PATTERN.fullmatch(token) is not None

    def bot_user(self, token: str) -> dict[str, Any]:
        """The bot's ``User`` object (its id is the token's first part)."""
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }
