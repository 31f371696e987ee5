"""A strict local Telegram Bot API emulator on 127.0.0.1 (aiohttp).

Point python-telegram-bot at it with ``base_url(emu.base_url)`` and
``base_file_url(emu.base_file_url)``. The emulator validates requests the way Telegram does
(HTML parse mode, text limits, keyboards, known chats, edits) and answers with Telegram's
error descriptions, so a bot that works against it does not trip over those on the real API.
Tests drive it through ``emu.user(...)`` (a ``FakeUser``); other processes through the JSON
control API under ``/_emulator/``.
"""

# The helpers take a `timeout` argument on purpose: tests read better with it.
# ruff: noqa: ASYNC109

from __future__ import annotations

import asyncio
import copy
import json
import logging
import mimetypes
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from aiohttp import web

from bot.emulator.html import HtmlError, parse_telegram_html, utf16_len
from bot.emulator.users import CallbackAnswer, FakeUser, SentMessage

__all__ = ["ApiCall", "ApiError", "BotApiEmulator", "EmulatorStats", "StoredFile"]

_LOGGER = logging.getLogger(__name__)

TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")
_API_PATH = re.compile(r"/bot([^/]+)/([^/]+)/?")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024
MAX_BUTTONS = 100
MAX_COMMANDS = 100

# Methods that put something in a chat; they count for the flood limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage",
        "sendDocument",
        "sendPhoto",
        "copyMessage",
        "forwardMessage",
        "editMessageText",
        "editMessageCaption",
        "editMessageReplyMarkup",
    }
)
# Methods addressed to a chat_id that must be a known, non-blocking user.
_CHAT_METHODS = SENDING_METHODS | {"sendChatAction"}

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)
_SCOPES = frozenset(
    {
        "default",
        "all_private_chats",
        "all_group_chats",
        "all_chat_administrators",
        "chat",
        "chat_administrators",
        "chat_member",
    }
)
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
_ERROR_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict",
    413: "Request Entity Too Large",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
_QUERY_TOO_OLD = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
_CONFLICT = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
_BLOCKED = "Forbidden: bot was blocked by the user"


class ApiError(Exception):
    """An error answer of the Bot API (raised inside method handlers)."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class StoredFile:
    """A file the emulator holds (uploaded by the bot or sent by a fake user)."""

    file_id: str
    file_unique_id: str
    data: bytes
    filename: str
    mime_type: str
    file_path: str


@dataclass
class ApiCall:
    """One Bot API request as the emulator saw it (file contents left out)."""

    method: str
    params: dict[str, Any]
    status: int
    chat_id: int | None
    files: dict[str, str] = field(default_factory=dict)
    """Multipart field name -> uploaded file name."""


@dataclass
class EmulatorStats:
    requests: Counter[str] = field(default_factory=Counter)
    """Requests per (canonical) method name, including failed ones."""
    responses: Counter[int] = field(default_factory=Counter)
    """Answers per HTTP status code."""
    sent: int = 0
    """Successful calls of sending methods (messages, documents, edits)."""

    @property
    def total(self) -> int:
        return sum(self.requests.values())

    @property
    def rate_limited(self) -> int:
        return self.responses[429]

    @property
    def forbidden(self) -> int:
        return self.responses[403]

    @property
    def bad_requests(self) -> int:
        return self.responses[400]

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.responses.items() if status >= 500)

    def reset(self) -> None:
        self.requests.clear()
        self.responses.clear()
        self.sent = 0


@dataclass
class _Upload:
    filename: str
    data: bytes
    content_type: str


@dataclass
class _Update:
    update_id: int
    kind: str
    payload: dict[str, Any]
    user_id: int | None
    delivered: bool = False


@dataclass
class _Query:
    user_id: int
    data: str
    message_id: int
    created: float
    answered: bool = False
    delivered: bool = False


@dataclass
class _Fault:
    method: str
    status: int
    remaining: int
    chat_id: int | None
    description: str | None


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value.strip()):
        return int(value)
    return None


class _Call:
    """Parameters of one request with Telegram-like coercion and errors."""

    def __init__(
        self,
        method: str,
        token: str,
        params: dict[str, Any],
        files: dict[str, _Upload],
    ) -> None:
        self.method = method
        self.token = token
        self.params = params
        self.files = files
        self.user: FakeUser | None = None

    def has(self, name: str) -> bool:
        return self.params.get(name) is not None

    def str_opt(self, name: str) -> str | None:
        value = self.params.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        raise _bad(f'field "{name}" must be of type String')

    def str_req(self, name: str, missing: str) -> str:
        value = self.str_opt(name)
        if value is None:
            raise _bad(missing)
        return value

    def int_opt(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        number = _as_int(value)
        if number is None:
            raise _bad(f'field "{name}" must be a valid Number')
        return number

    def int_req(self, name: str, missing: str) -> int:
        value = self.int_opt(name)
        if value is None:
            raise _bad(missing)
        return value

    def float_opt(self, name: str) -> float | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise _bad(f'field "{name}" must be a valid Number') from None

    def bool_opt(self, name: str) -> bool:
        value = self.params.get(name)
        if value is None:
            return False
        if isinstance(value, bool):
            return value
        if isinstance(value, int | float):
            return value != 0
        if isinstance(value, str) and value.lower() in {"true", "1"}:
            return True
        if isinstance(value, str) and value.lower() in {"false", "0", ""}:
            return False
        raise _bad(f'field "{name}" must be of type Boolean')

    def json_opt(self, name: str, error: str) -> Any:
        value = self.params.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise _bad(error) from None
        return value

    def peek_chat_id(self) -> int | None:
        return _as_int(self.params.get("chat_id"))


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
        self.retry_after = retry_after
        self.delay = delay
        self.callback_query_ttl = callback_query_ttl
        self.strict_html = strict_html

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
        self._faults: list[_Fault] = []
        self._global_window: deque[float] = deque()
        self._chat_windows: dict[int, deque[float]] = {}

        self._updates: list[_Update] = []
        self._next_update_id = 1
        self._allowed_updates: set[str] | None = None
        self._poll_generation = 0

        self._message_ids: dict[int, int] = {}
        self._bot_messages: dict[int, dict[int, SentMessage]] = {}
        self._user_messages: dict[int, set[int]] = {}
        self._queries: dict[str, _Query] = {}
        self._next_query = 1
        self._files: dict[str, StoredFile] = {}
        self._file_paths: dict[str, StoredFile] = {}
        self._next_file = 1
        self._commands: dict[tuple[str, int | None, int | None, str], list[dict[str, str]]] = {}
        self._bot_texts: dict[str, dict[str, str]] = {
            "name": {},
            "description": {},
            "short_description": {},
        }
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}

        self._methods: dict[str, tuple[str, Callable[[_Call], Awaitable[Any]]]] = {}
        for name, handler in {
            "getMe": self._m_get_me,
            "logOut": self._m_true,
            "close": self._m_true,
            "deleteWebhook": self._m_delete_webhook,
            "getWebhookInfo": self._m_get_webhook_info,
            "getUpdates": self._m_get_updates,
            "sendMessage": self._m_send_message,
            "editMessageText": self._m_edit_message_text,
            "editMessageCaption": self._m_edit_message_caption,
            "editMessageReplyMarkup": self._m_edit_message_reply_markup,
            "deleteMessage": self._m_delete_message,
            "answerCallbackQuery": self._m_answer_callback_query,
            "sendDocument": self._m_send_document,
            "sendChatAction": self._m_send_chat_action,
            "getFile": self._m_get_file,
            "setMyCommands": self._m_set_my_commands,
            "deleteMyCommands": self._m_delete_my_commands,
            "getMyCommands": self._m_get_my_commands,
            "setMyName": self._m_set_bot_text,
            "getMyName": self._m_get_bot_text,
            "setMyDescription": self._m_set_bot_text,
            "getMyDescription": self._m_get_bot_text,
            "setMyShortDescription": self._m_set_bot_text,
            "getMyShortDescription": self._m_get_bot_text,
            "setChatMenuButton": self._m_set_chat_menu_button,
            "getChatMenuButton": self._m_get_chat_menu_button,
        }.items():
            self._methods[name.lower()] = (name, handler)

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

    async def start(self) -> None:
        if self._runner is not None:
            return
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES + 1024 * 1024)
        app.router.add_get("/_emulator/users", self._c_list_users)
        app.router.add_post("/_emulator/users", self._c_create_user)
        app.router.add_get("/_emulator/users/{user_id}/messages", self._c_messages)
        app.router.add_get("/_emulator/users/{user_id}/commands", self._c_commands)
        app.router.add_post("/_emulator/users/{user_id}/send", self._c_send)
        app.router.add_post("/_emulator/users/{user_id}/press", self._c_press)
        app.router.add_post("/_emulator/users/{user_id}/block", self._c_block)
        app.router.add_post("/_emulator/users/{user_id}/unblock", self._c_unblock)
        app.router.add_get("/_emulator/events", self._c_events)
        app.router.add_get("/_emulator/stats", self._c_stats)
        app.router.add_get("/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{path:.*}", self._handle_api)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self._requested_port)
        await site.start()
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is None:
            return
        self._closing = True
        await self._notify()  # release pending long polls
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
        self._bot_messages[user_id] = {}
        self._user_messages[user_id] = set()
        return fake

    @property
    def users(self) -> dict[int, FakeUser]:
        return dict(self._users)

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
        if count < 1 or not 400 <= status <= 599:
            raise ValueError("fail_next needs count >= 1 and an error status")
        self._faults.append(_Fault(method.lower(), status, count, chat_id, description))

    def clear_faults(self) -> None:
        self._faults.clear()

    def find_message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """A message the bot sent in the chat (also when deleted since), or ``None``."""
        return self._bot_messages.get(chat_id, {}).get(message_id)

    def calls(self, method: str) -> list[dict[str, Any]]:
        """Parameters of the recorded requests of ``method`` (any status), oldest first."""
        wanted = method.lower()
        return [call.params for call in self.requests if call.method.lower() == wanted]

    def unanswered_callbacks(self) -> list[str]:
        """Ids of callback queries that were delivered to the bot but never answered."""
        return [
            query_id
            for query_id, query in self._queries.items()
            if query.delivered and not query.answered
        ]

    def commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, str]]:
        """The commands the bot set for exactly this scope and language."""
        key = self._scope_key(scope or {"type": "default"}, language_code, check_chat=False)
        return copy.deepcopy(self._commands.get(key, []))

    def visible_commands(self, user_id: int, language_code: str = "") -> list[dict[str, str]]:
        """The command menu a user sees in the private chat (Telegram's resolution order)."""
        candidates: list[tuple[str, int | None]] = [
            ("chat", user_id),
            ("all_private_chats", None),
            ("default", None),
        ]
        for scope_type, chat_id in candidates:
            for lang in ([language_code] if language_code else []) + [""]:
                commands = self._commands.get((scope_type, chat_id, None, lang))
                if commands:
                    return copy.deepcopy(commands)
        return []

    def get_file(self, file_id: str) -> StoredFile:
        try:
            return self._files[file_id]
        except KeyError:
            raise KeyError(f"unknown file_id {file_id!r}") from None

    @property
    def pending_updates(self) -> int:
        """Updates not yet confirmed by the bot (offset)."""
        return len(self._updates)

    async def inject_update(self, kind: str, payload: dict[str, Any]) -> int:
        """Queue a raw update of type ``kind`` (e.g. ``"my_chat_member"``); returns its id."""
        return await self._enqueue(None, kind, payload)

    async def wait_for_events(self, after: int = 0, timeout: float = 5.0) -> list[dict[str, Any]]:
        """The ``events`` with a ``seq`` above ``after``, waiting up to ``timeout`` seconds
        for the first one; an empty list on timeout or once the emulator stops.

        Lets an in-process watcher (the terminal sandbox) follow every chat without polling.
        """
        await self.wait_until(lambda: len(self.events) > after or self._closing, timeout)
        return self.events[after:]

    # ------------------------------------------------------------------ internals for users

    def _loop_time(self) -> float:
        return asyncio.get_running_loop().time()

    def _date(self) -> int:
        return int(self.clock())

    def _get_cond(self) -> asyncio.Condition:
        loop = asyncio.get_running_loop()
        if self._cond is None or self._cond_loop is not loop:
            self._cond = asyncio.Condition()
            self._cond_loop = loop
        return self._cond

    async def _notify(self) -> None:
        cond = self._get_cond()
        async with cond:
            cond.notify_all()

    async def wait_until(self, predicate: Callable[[], bool], timeout: float) -> bool:
        cond = self._get_cond()
        try:
            async with asyncio.timeout(timeout), cond:
                await cond.wait_for(predicate)
        except TimeoutError:
            return predicate()
        return True

    def _event(self, kind: str, chat_id: int | None, **data: Any) -> None:
        self.events.append({"seq": len(self.events) + 1, "type": kind, "chat_id": chat_id, **data})

    def _next_message_id(self, chat_id: int) -> int:
        self._message_ids[chat_id] = self._message_ids.get(chat_id, 0) + 1
        return self._message_ids[chat_id]

    def _touch(self, user: FakeUser | None) -> None:
        if user is not None:
            user._last_activity = self._loop_time()

    async def _enqueue(self, user: FakeUser | None, kind: str, payload: dict[str, Any]) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append(
            _Update(
                update_id=update_id,
                kind=kind,
                payload={"update_id": update_id, kind: payload},
                user_id=None if user is None else user.id,
            )
        )
        self._touch(user)
        await self._notify()
        return update_id

    async def _user_message(self, user: FakeUser, content: dict[str, Any]) -> int:
        message_id = self._next_message_id(user.id)
        self._user_messages[user.id].add(message_id)
        message = {
            "message_id": message_id,
            "from": user.to_api(),
            "chat": user.chat_api(),
            "date": self._date(),
            **copy.deepcopy(content),
        }
        self._event("user_message", user.id, message=message)
        await self._enqueue(user, "message", message)
        return message_id

    async def _press(self, user: FakeUser, message_id: int, data: str) -> str:
        found = self.find_message(user.id, message_id)
        if found is not None and not found.deleted:
            message = found.to_api()
            message["chat"] = user.chat_api()
        else:  # InaccessibleMessage
            message = {"message_id": message_id, "chat": user.chat_api(), "date": 0}
        query_id = str(4_000_000_000_000_000_000 + self._next_query)
        self._next_query += 1
        self._queries[query_id] = _Query(user.id, data, message_id, self._loop_time())
        payload = {
            "id": query_id,
            "from": user.to_api(),
            "message": message,
            "chat_instance": str(-(10**17) - user.id),
            "data": data,
        }
        self._event("press", user.id, message_id=message_id, data=data, query_id=query_id)
        await self._enqueue(user, "callback_query", payload)
        return query_id

    def _has_undelivered(self, user_id: int) -> bool:
        return any(u.user_id == user_id and not u.delivered for u in self._updates)

    def _store_file(
        self, data: bytes, filename: str, mime_type: str, folder: str = "documents"
    ) -> StoredFile:
        number = self._next_file
        self._next_file += 1
        suffix = "".join(c for c in filename.rpartition(".")[2] if c.isalnum())[:10]
        path = f"{folder}/file_{number}" + (f".{suffix}" if "." in filename and suffix else "")
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAEM{number:08d}emulatorFileId",
            file_unique_id=f"AgADem{number:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            file_path=path,
        )
        self._files[stored.file_id] = stored
        self._file_paths[path] = stored
        return stored

    def _alias_file(self, file_id: str, stored: StoredFile) -> None:
        self._files[file_id] = stored

    # ------------------------------------------------------------------ HTTP plumbing

    def _token_ok(self, token: str) -> bool:
        if self.token is not None:
            return token == self.token
        return TOKEN_PATTERN.fullmatch(token) is not None

    def _bot_user(self, token: str) -> dict[str, Any]:
        return {
            "id": int(token.split(":", 1)[0]),
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    async def _read_params(
        self, request: web.Request
    ) -> tuple[dict[str, Any], dict[str, _Upload]]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, _Upload] = {}
        if request.method != "POST" or not request.body_exists:
            return params, files
        content_type = request.content_type
        try:
            if content_type == "application/json":
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise _bad("can't parse JSON object") from None
                    if not isinstance(body, dict):
                        raise _bad("can't parse JSON object")
                    params.update(body)
            elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = _Upload(value.filename, value.file.read(), value.content_type)
                    else:
                        params[key] = value
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, "Request Entity Too Large") from None
        return params, files

    @staticmethod
    def _json(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(body, status=status)

    async def _handle_api(self, request: web.Request) -> web.Response:
        match = _API_PATH.fullmatch(request.path)
        if match is None:
            return self._json(ApiError(404, "Not Found").body(), 404)
        token, method_name = match.groups()
        if not self._token_ok(token):
            self.stats.responses[401] += 1
            return self._json(ApiError(401, "Unauthorized").body(), 401)
        entry = self._methods.get(method_name.lower())
        if entry is None:
            self.stats.requests[method_name] += 1
            self.stats.responses[404] += 1
            return self._json(ApiError(404, "Not Found").body(), 404)
        method, handler = entry
        self.stats.requests[method] += 1
        if self.delay > 0:
            await asyncio.sleep(self.delay)

        call: _Call | None = None
        user: FakeUser | None = None
        chat_id: int | None = None
        try:
            params, files = await self._read_params(request)
            call = _Call(method, token, params, files)
            chat_id = call.peek_chat_id()
            user = self._activity_user(method, call, chat_id)
            if user is not None:
                user._inflight += 1
                self._touch(user)
            result = await self._dispatch(method, handler, call, chat_id)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception as exc:  # an emulator bug: answer 500 and keep it for the tests
            _LOGGER.exception("Bot API emulator failed on %s", method)
            self.internal_errors.append(exc)
            status = 500
            body = ApiError(500, f"Internal Server Error (emulator bug: {exc!r})").body()
        finally:
            if user is not None:
                user._inflight -= 1
                self._touch(user)
        self.stats.responses[status] += 1
        self.requests.append(
            ApiCall(
                method=method,
                params=dict(call.params) if call else {},
                status=status,
                chat_id=chat_id,
                files={k: v.filename for k, v in call.files.items()} if call else {},
            )
        )
        return self._json(body, status)

    def _activity_user(self, method: str, call: _Call, chat_id: int | None) -> FakeUser | None:
        if method == "answerCallbackQuery":
            query = self._queries.get(call.str_opt("callback_query_id") or "")
            return None if query is None else self._users.get(query.user_id)
        return None if chat_id is None else self._users.get(chat_id)

    async def _dispatch(
        self,
        method: str,
        handler: Callable[[_Call], Awaitable[Any]],
        call: _Call,
        chat_id: int | None,
    ) -> Any:
        self._check_faults(method, chat_id)
        if method in _CHAT_METHODS:
            call.user = self._require_user(call)
            if call.user.id in self._blocked:
                raise ApiError(403, _BLOCKED)
        if method in SENDING_METHODS:
            self._check_rate(chat_id)
        result = await handler(call)
        if method in SENDING_METHODS:
            self._record_send(chat_id)
        return result

    def _check_faults(self, method: str, chat_id: int | None) -> None:
        for fault in self._faults:
            if fault.method not in {"*", method.lower()}:
                continue
            if fault.chat_id is not None and fault.chat_id != chat_id:
                continue
            fault.remaining -= 1
            if fault.remaining <= 0:
                self._faults.remove(fault)
            if fault.status == 429:
                raise ApiError(
                    429,
                    fault.description or f"Too Many Requests: retry after {self.retry_after}",
                    retry_after=self.retry_after,
                )
            description = fault.description or _ERROR_DESCRIPTIONS.get(fault.status)
            if description is None:
                try:
                    description = HTTPStatus(fault.status).phrase
                except ValueError:
                    description = "Error"
            raise ApiError(fault.status, description)

    @staticmethod
    def _window(limit: float) -> tuple[float, int]:
        window = max(1.0, 1.0 / limit)
        return window, max(1, round(limit * window))

    def _over(self, timestamps: deque[float], limit: float | None, now: float) -> bool:
        if not limit or limit <= 0:
            return False
        window, capacity = self._window(limit)
        while timestamps and timestamps[0] <= now - window:
            timestamps.popleft()
        return len(timestamps) >= capacity

    def _check_rate(self, chat_id: int | None) -> None:
        now = self._loop_time()
        chat_window = self._chat_windows.setdefault(chat_id or 0, deque())
        if self._over(self._global_window, self.global_rate_limit, now) or self._over(
            chat_window, self.per_chat_rate_limit, now
        ):
            raise ApiError(
                429,
                f"Too Many Requests: retry after {self.retry_after}",
                retry_after=self.retry_after,
            )

    def _record_send(self, chat_id: int | None) -> None:
        now = self._loop_time()
        self.stats.sent += 1
        self._global_window.append(now)
        self._chat_windows.setdefault(chat_id or 0, deque()).append(now)

    def _require_user(self, call: _Call) -> FakeUser:
        raw = call.params.get("chat_id")
        if raw is None or raw == "":
            raise _bad("chat_id is empty")
        chat_id = _as_int(raw)
        user = None if chat_id is None else self._users.get(chat_id)
        if user is None:
            raise _bad("chat not found")
        return user

    # ------------------------------------------------------------------ validation helpers

    def _format(
        self,
        call: _Call,
        text: str,
        *,
        mode_key: str,
        entities_key: str,
        caption: bool,
    ) -> tuple[str, list[dict[str, Any]], str | None]:
        """Parse text/caption like Telegram: (plain, entities, parse_mode)."""
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad("strings must be encoded in UTF-8") from None
        parse_mode = call.str_opt(mode_key) or None
        explicit = call.json_opt(entities_key, "can't parse entities JSON object")
        if explicit is not None:
            if not isinstance(explicit, list) or not all(
                isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in explicit
            ):
                raise _bad("can't parse entities JSON object")
            plain, entities = text, copy.deepcopy(explicit)
        elif parse_mode is None:
            plain, entities = text, []
        elif parse_mode.lower() == "html":
            try:
                plain, entities = parse_telegram_html(text, strict=self.strict_html)
            except HtmlError as exc:
                raise _bad(f"can't parse entities: {exc.description}") from None
        elif parse_mode.lower() in {"markdown", "markdownv2"}:
            raise _bad("unsupported parse_mode (the Bot API emulator implements only HTML)")
        else:
            raise _bad("unsupported parse_mode")
        plain, entities = _trim(plain, entities)
        limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
        if not plain and not caption:
            raise _bad("message text is empty")
        if utf16_len(plain) > limit:
            raise _bad("message caption is too long" if caption else "message is too long")
        return plain, entities, parse_mode

    def _markup(self, call: _Call, *, inline_only: bool) -> dict[str, Any] | None:
        markup = call.json_opt("reply_markup", "can't parse reply keyboard markup JSON object")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _check_inline_keyboard(markup["inline_keyboard"])
        elif inline_only:
            raise _bad("inline keyboard expected")
        elif "keyboard" in markup:
            _check_reply_keyboard(markup)
        elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
            raise _bad("can't parse reply keyboard markup JSON object")
        return copy.deepcopy(markup)

    def _reply_to(self, call: _Call, user: FakeUser) -> int | None:
        reply = call.json_opt("reply_parameters", "can't parse reply parameters JSON object")
        message_id: int | None
        allow_missing = call.bool_opt("allow_sending_without_reply")
        if isinstance(reply, dict):
            message_id = _as_int(reply.get("message_id"))
            allow_missing = allow_missing or bool(reply.get("allow_sending_without_reply"))
            if message_id is None:
                raise _bad("can't parse reply parameters JSON object")
        else:
            message_id = call.int_opt("reply_to_message_id")
        if message_id is None:
            return None
        exists = message_id in self._user_messages[user.id] or (
            (found := self.find_message(user.id, message_id)) is not None and not found.deleted
        )
        if not exists:
            if allow_missing:
                return None
            raise _bad("message to be replied not found")
        return message_id

    def _message_for_edit(self, call: _Call) -> SentMessage:
        if call.has("inline_message_id"):
            raise _bad("inline messages are not supported by the Bot API emulator")
        user = call.user
        assert user is not None
        message_id = call.int_req("message_id", "message identifier is not specified")
        found = self.find_message(user.id, message_id)
        if found is None or found.deleted:
            if message_id in self._user_messages[user.id]:
                raise _bad("message can't be edited")
            raise _bad("message to edit not found")
        return found

    async def _store_message(self, message: SentMessage) -> None:
        self._bot_messages[message.chat_id][message.message_id] = message
        self._users[message.chat_id]._messages.append(message)
        self._event("message", message.chat_id, message=message.to_json())
        await self._notify()

    async def _edited(self, message: SentMessage) -> dict[str, Any]:
        message.edited += 1
        message.edit_date = self._date()
        self._event("edit", message.chat_id, message=message.to_json())
        await self._notify()
        return message.to_api()

    def _scope_key(
        self, scope: Any, language_code: str, *, check_chat: bool = True
    ) -> tuple[str, int | None, int | None, str]:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise _bad("can't parse BotCommandScope JSON object")
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise _bad("invalid language code specified")
        scope_type = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if scope_type in {"chat", "chat_administrators", "chat_member"}:
            chat_id = _as_int(scope.get("chat_id"))
            if chat_id is None or (check_chat and chat_id not in self._users):
                raise _bad("chat not found")
        if scope_type == "chat_member":
            user_id = _as_int(scope.get("user_id"))
            if user_id is None:
                raise _bad("user not found")
        return scope_type, chat_id, user_id, language_code

    # ------------------------------------------------------------------ Bot API methods

    async def _m_true(self, call: _Call) -> bool:
        return True

    async def _m_get_me(self, call: _Call) -> dict[str, Any]:
        return {
            **self._bot_user(call.token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _m_delete_webhook(self, call: _Call) -> bool:
        if call.bool_opt("drop_pending_updates"):
            self._updates.clear()
        return True

    async def _m_get_webhook_info(self, call: _Call) -> dict[str, Any]:
        return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}

    async def _m_get_updates(self, call: _Call) -> list[dict[str, Any]]:
        offset = call.int_opt("offset")
        limit = min(max(call.int_opt("limit") or 100, 1), 100)
        timeout = max(call.float_opt("timeout") or 0.0, 0.0)
        allowed = call.json_opt("allowed_updates", "can't parse allowed updates JSON object")
        if allowed is not None:
            if not isinstance(allowed, list) or not all(isinstance(a, str) for a in allowed):
                raise _bad("can't parse allowed updates JSON object")
            self._allowed_updates = set(allowed) or None
        if offset is not None:
            if offset < 0:
                self._updates = self._updates[offset:]
            else:
                self._updates = [u for u in self._updates if u.update_id >= offset]
        self._poll_generation += 1
        generation = self._poll_generation
        await self._notify()  # an older long poll ends with 409 Conflict

        def ready() -> bool:
            if self._allowed_updates is not None:
                self._updates = [u for u in self._updates if u.kind in self._allowed_updates]
            return bool(self._updates) or self._closing or generation != self._poll_generation

        await self.wait_until(ready, timeout)
        if generation != self._poll_generation and not self._closing:
            raise ApiError(409, _CONFLICT)
        batch = self._updates[:limit]
        for update in batch:
            update.delivered = True
            if update.kind == "callback_query":
                query = self._queries.get(update.payload["callback_query"]["id"])
                if query is not None:
                    query.delivered = True
            if update.user_id is not None:
                self._touch(self._users.get(update.user_id))
        return [copy.deepcopy(u.payload) for u in batch]

    async def _m_send_message(self, call: _Call) -> dict[str, Any]:
        user = call.user
        assert user is not None
        raw = call.str_req("text", "message text is empty")
        plain, entities, parse_mode = self._format(
            call, raw, mode_key="parse_mode", entities_key="entities", caption=False
        )
        markup = self._markup(call, inline_only=False)
        reply_to = self._reply_to(call, user)
        preview = call.json_opt(
            "link_preview_options", "can't parse link preview options JSON object"
        )
        if preview is not None and not isinstance(preview, dict):
            raise _bad("can't parse link preview options JSON object")
        if preview is None and call.bool_opt("disable_web_page_preview"):
            preview = {"is_disabled": True}
        message = SentMessage(
            message_id=self._next_message_id(user.id),
            chat_id=user.id,
            date=self._date(),
            text=plain,
            html=raw,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            link_preview_options=preview,
            reply_to_message_id=reply_to,
            sender=self._bot_user(call.token),
        )
        await self._store_message(message)
        return self._with_chat(message.to_api(), user)

    @staticmethod
    def _with_chat(message: dict[str, Any], user: FakeUser) -> dict[str, Any]:
        message["chat"] = user.chat_api()
        return message

    async def _m_edit_message_text(self, call: _Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        raw = call.str_req("text", "message text is empty")
        plain, entities, parse_mode = self._format(
            call, raw, mode_key="parse_mode", entities_key="entities", caption=False
        )
        markup = self._markup(call, inline_only=True)
        if message.kind != "text":
            raise _bad("there is no text in the message to edit")
        current = message.reply_markup if message.has_inline_keyboard else None
        if plain == message.text and entities == message.entities and markup == current:
            raise ApiError(400, _NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.html, message.entities = plain, raw, entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        preview = call.json_opt(
            "link_preview_options", "can't parse link preview options JSON object"
        )
        if isinstance(preview, dict):
            message.link_preview_options = preview
        assert call.user is not None
        return self._with_chat(await self._edited(message), call.user)

    async def _m_edit_message_caption(self, call: _Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        raw = call.str_opt("caption") or ""
        plain, entities, parse_mode = self._format(
            call, raw, mode_key="parse_mode", entities_key="caption_entities", caption=True
        )
        markup = self._markup(call, inline_only=True)
        if message.kind == "text":
            raise _bad("there is no caption in the message to edit")
        current = message.reply_markup if message.has_inline_keyboard else None
        if plain == message.text and entities == message.entities and markup == current:
            raise ApiError(400, _NOT_MODIFIED)
        message.history.append(message.text)
        message.text, message.html, message.entities = plain, raw, entities
        message.parse_mode = parse_mode
        message.reply_markup = markup
        assert call.user is not None
        return self._with_chat(await self._edited(message), call.user)

    async def _m_edit_message_reply_markup(self, call: _Call) -> dict[str, Any]:
        message = self._message_for_edit(call)
        markup = self._markup(call, inline_only=True)
        current = message.reply_markup if message.has_inline_keyboard else None
        if markup == current:
            raise ApiError(400, _NOT_MODIFIED)
        message.reply_markup = markup
        assert call.user is not None
        return self._with_chat(await self._edited(message), call.user)

    async def _m_delete_message(self, call: _Call) -> bool:
        user = self._require_user(call)
        message_id = call.int_req("message_id", "message identifier is not specified")
        found = self.find_message(user.id, message_id)
        if found is not None and not found.deleted:
            found.deleted = True
        elif message_id in self._user_messages[user.id]:
            self._user_messages[user.id].discard(message_id)
        else:
            raise _bad("message to delete not found")
        self._event("delete", user.id, message_id=message_id)
        await self._notify()
        return True

    async def _m_answer_callback_query(self, call: _Call) -> bool:
        query_id = call.str_req("callback_query_id", "query_id is empty")
        query = self._queries.get(query_id)
        if (
            query is None
            or query.answered
            or self._loop_time() - query.created > self.callback_query_ttl
        ):
            raise ApiError(400, _QUERY_TOO_OLD)
        text = call.str_opt("text")
        if text is not None and len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad("MESSAGE_TOO_LONG")
        query.answered = True
        answer = CallbackAnswer(
            query_id=query_id,
            user_id=query.user_id,
            data=query.data,
            message_id=query.message_id,
            text=text or None,
            show_alert=call.bool_opt("show_alert"),
            url=call.str_opt("url"),
            cache_time=call.int_opt("cache_time") or 0,
        )
        self.answered_callbacks.append(answer)
        self._event("callback_answer", query.user_id, query_id=query_id, text=answer.text)
        await self._notify()
        return True

    def _input_file(self, call: _Call, name: str) -> StoredFile:
        upload = call.files.get(name)
        value = call.str_opt(name)
        if upload is None and value is not None and value.startswith("attach://"):
            upload = call.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise _bad(f"file for {name} not found in the request")
        if upload is not None:
            if not upload.data:
                raise _bad("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
            return self._store_file(upload.data, upload.filename or "file", mime)
        if not value:
            raise _bad(f"there is no {name} in the request")
        if value.startswith(("http://", "https://")):
            raise _bad("wrong file identifier/HTTP URL specified (the emulator has no network)")
        stored = self._files.get(value)
        if stored is None:
            raise _bad("wrong file identifier/HTTP URL specified")
        return stored

    async def _m_send_document(self, call: _Call) -> dict[str, Any]:
        user = call.user
        assert user is not None
        stored = self._input_file(call, "document")
        raw = call.str_opt("caption") or ""
        plain, entities, parse_mode = self._format(
            call, raw, mode_key="parse_mode", entities_key="caption_entities", caption=True
        )
        markup = self._markup(call, inline_only=False)
        reply_to = self._reply_to(call, user)
        message = SentMessage(
            message_id=self._next_message_id(user.id),
            chat_id=user.id,
            date=self._date(),
            text=plain,
            html=raw or None,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            kind="document",
            filename=stored.filename,
            document=stored.data,
            mime_type=stored.mime_type,
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            reply_to_message_id=reply_to,
            sender=self._bot_user(call.token),
        )
        await self._store_message(message)
        return self._with_chat(message.to_api(), user)

    async def _m_send_chat_action(self, call: _Call) -> bool:
        assert call.user is not None
        action = call.str_req("action", "action is empty")
        if action not in _CHAT_ACTIONS:
            raise _bad("wrong parameter action in request")
        self.chat_actions.append((call.user.id, action))
        self._event("chat_action", call.user.id, action=action)
        await self._notify()
        return True

    async def _m_get_file(self, call: _Call) -> dict[str, Any]:
        file_id = call.str_req("file_id", "file_id is empty")
        stored = self._files.get(file_id)
        if stored is None:
            raise _bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise _bad("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }

    def _command_key(self, call: _Call) -> tuple[str, int | None, int | None, str]:
        scope = call.json_opt("scope", "can't parse BotCommandScope JSON object")
        return self._scope_key(scope or {"type": "default"}, call.str_opt("language_code") or "")

    async def _m_set_my_commands(self, call: _Call) -> bool:
        commands = call.json_opt("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise _bad("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise _bad("BOT_COMMANDS_TOO_MUCH")
        checked: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise _bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise _bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        key = self._command_key(call)
        if checked:
            self._commands[key] = checked
        else:
            self._commands.pop(key, None)
        return True

    async def _m_delete_my_commands(self, call: _Call) -> bool:
        self._commands.pop(self._command_key(call), None)
        return True

    async def _m_get_my_commands(self, call: _Call) -> list[dict[str, str]]:
        return copy.deepcopy(self._commands.get(self._command_key(call), []))

    async def _m_set_bot_text(self, call: _Call) -> bool:
        field_name = {
            "setMyName": "name",
            "setMyDescription": "description",
            "setMyShortDescription": "short_description",
        }[call.method]
        limit = {"name": 64, "description": 512, "short_description": 120}[field_name]
        value = call.str_opt(field_name) or ""
        if len(value) > limit:
            raise _bad(f"bot {field_name.replace('_', ' ')} is too long")
        self._bot_texts[field_name][call.str_opt("language_code") or ""] = value
        return True

    async def _m_get_bot_text(self, call: _Call) -> dict[str, str]:
        field_name = {
            "getMyName": "name",
            "getMyDescription": "description",
            "getMyShortDescription": "short_description",
        }[call.method]
        texts = self._bot_texts[field_name]
        language = call.str_opt("language_code") or ""
        default = self.bot_first_name if field_name == "name" else ""
        return {field_name: texts.get(language) or texts.get("", default)}

    async def _m_set_chat_menu_button(self, call: _Call) -> bool:
        chat_id = call.int_opt("chat_id")
        if chat_id is not None and chat_id not in self._users:
            raise _bad("chat not found")
        button = call.json_opt("menu_button", "can't parse menu button JSON object")
        if button is not None and not isinstance(button, dict):
            raise _bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button or {"type": "default"}
        return True

    async def _m_get_chat_menu_button(self, call: _Call) -> dict[str, Any]:
        chat_id = call.int_opt("chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return copy.deepcopy(button or {"type": "commands"})

    # ------------------------------------------------------------------ files

    async def _handle_file(self, request: web.Request) -> web.Response:
        if not self._token_ok(request.match_info["token"]):
            return self._json(ApiError(401, "Unauthorized").body(), 401)
        stored = self._file_paths.get(request.match_info["file_path"])
        if stored is None:
            return self._json(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # ------------------------------------------------------------------ control API

    def _control_user(self, request: web.Request, *, create: bool = True) -> FakeUser:
        """The user of the URL; created on first use unless ``create`` is false."""
        user_id = _as_int(request.match_info["user_id"])
        if user_id is None or user_id <= 0:
            raise _control_error(web.HTTPBadRequest, "user id must be a positive integer")
        if not create and user_id not in self._users:
            raise _control_error(web.HTTPNotFound, f"unknown user {user_id}")
        return self.user(user_id)

    @staticmethod
    async def _control_body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise _control_error(web.HTTPBadRequest, "body must be a JSON object") from None
        if not isinstance(body, dict):
            raise _control_error(web.HTTPBadRequest, "body must be a JSON object")
        return body

    def _ok(self, result: Any) -> web.Response:
        return self._json({"ok": True, "result": result})

    async def _c_list_users(self, request: web.Request) -> web.Response:
        return self._ok(
            [{**u.to_api(), "blocked": u.id in self._blocked} for u in self._users.values()]
        )

    async def _c_create_user(self, request: web.Request) -> web.Response:
        body = await self._control_body(request)
        user_id = _as_int(body.get("id"))
        if user_id is None or user_id <= 0:
            raise _control_error(web.HTTPBadRequest, '"id" must be a positive integer')
        user = self.user(
            user_id,
            str(body.get("first_name") or "Test"),
            body.get("username"),
            last_name=body.get("last_name"),
            language_code=body.get("language_code"),
        )
        return self._ok(user.to_api())

    async def _c_send(self, request: web.Request) -> web.Response:
        user = self._control_user(request)
        body = await self._control_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise _control_error(web.HTTPBadRequest, '"text" must be a non-empty string')
        return self._ok({"message_id": await user.send(text)})

    async def _c_press(self, request: web.Request) -> web.Response:
        user = self._control_user(request)
        body = await self._control_body(request)
        message_id = _as_int(body.get("message_id"))
        try:
            if "data" in body:
                if message_id is None:
                    raise _control_error(
                        web.HTTPBadRequest, '"message_id" is required with "data"'
                    )
                query_id = await user.press_data(message_id, str(body["data"]))
            elif isinstance(body.get("button"), str | int):
                message = None if message_id is None else self.find_message(user.id, message_id)
                if message_id is not None and message is None:
                    raise _control_error(web.HTTPNotFound, f"no bot message {message_id}")
                query_id = await user.press(body["button"], message)
            else:
                raise _control_error(
                    web.HTTPBadRequest, 'give "message_id" and "data", or "button"'
                )
        except AssertionError as exc:
            raise _control_error(web.HTTPNotFound, str(exc)) from None
        return self._ok({"callback_query_id": query_id})

    async def _c_messages(self, request: web.Request) -> web.Response:
        user = self._control_user(request, create=False)
        after = _as_int(request.query.get("after", "0")) or 0
        return self._ok([m.to_json() for m in user.messages if m.message_id > after])

    async def _c_commands(self, request: web.Request) -> web.Response:
        user = self._control_user(request, create=False)
        return self._ok(user.commands(request.query.get("language_code")))

    async def _c_block(self, request: web.Request) -> web.Response:
        self.block(self._control_user(request).id)
        return self._ok(True)

    async def _c_unblock(self, request: web.Request) -> web.Response:
        self.unblock(self._control_user(request).id)
        return self._ok(True)

    async def _c_events(self, request: web.Request) -> web.Response:
        """Events after ``after`` (a seq); waits up to ``timeout`` seconds for new ones."""
        after = _as_int(request.query.get("after", "0")) or 0
        chat_id = _as_int(request.query.get("chat_id", ""))
        try:
            timeout = min(max(float(request.query.get("timeout", "0")), 0.0), 60.0)
        except ValueError:
            raise _control_error(web.HTTPBadRequest, "timeout must be a number") from None

        def selected() -> list[dict[str, Any]]:
            return [
                e for e in self.events[after:] if chat_id is None or e.get("chat_id") == chat_id
            ]

        await self.wait_until(lambda: bool(selected()) or self._closing, timeout)
        return self._ok(selected())

    async def _c_stats(self, request: web.Request) -> web.Response:
        return self._ok(
            {
                "requests": dict(self.stats.requests),
                "responses": {str(k): v for k, v in self.stats.responses.items()},
                "sent": self.stats.sent,
                "pending_updates": len(self._updates),
            }
        )


def _control_error(kind: type[web.HTTPError], description: str) -> web.HTTPError:
    """A control API error with a JSON body like the Bot API's."""
    body = {"ok": False, "error_code": kind.status_code, "description": description}
    return kind(text=json.dumps(body), content_type="application/json")


def _trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace as Telegram does, keeping entities in step."""
    stripped = plain.strip(" \t\r\n\f\v")
    if stripped == plain:
        return plain, entities
    shift = utf16_len(plain[: len(plain) - len(plain.lstrip(" \t\r\n\f\v"))])
    total = utf16_len(stripped)
    trimmed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - shift, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - shift, total)
        if end > start:
            trimmed.append({**entity, "offset": start, "length": end - start})
    return stripped, trimmed


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad(
            'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
        )
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise _bad("reply markup is too long")
    for row in rows:
        for button in row:
            if not isinstance(button, dict):
                raise _bad(
                    "can't parse inline keyboard button: InlineKeyboardButton must be an Object"
                )
            text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _bad("BUTTON_TEXT_INVALID")
            actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
            if not actions:
                raise _bad(
                    "can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard"
                )
            if len(actions) > 1:
                raise _bad(
                    "can't parse inline keyboard button: exactly one of the optional fields "
                    f"must be used, got {actions}"
                )
            if "callback_data" in actions:
                data = button["callback_data"]
                if (
                    not isinstance(data, str)
                    or not 1 <= len(data.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad("BUTTON_DATA_INVALID")
            if "url" in actions:
                url = button["url"]
                parts = urlsplit(url) if isinstance(url, str) else None
                if (
                    parts is None
                    or parts.scheme not in {"http", "https", "tg"}
                    or (parts.scheme != "tg" and not parts.netloc)
                ):
                    raise _bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(markup: dict[str, Any]) -> None:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    if sum(len(row) for row in rows) > 300:
        raise _bad("reply markup is too long")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise _bad("can't parse keyboard button: Text must be non-empty")
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise _bad("input field placeholder is too long")
