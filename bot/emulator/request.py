"""One Bot API request: its parameters with Telegram's coercion rules, and error answers."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from aiohttp import web

if TYPE_CHECKING:
    from bot.emulator.users import FakeUser

__all__ = [
    "MAX_CAPTION_LENGTH",
    "MAX_DOWNLOAD_BYTES",
    "MAX_TEXT_LENGTH",
    "MAX_UPLOAD_BYTES",
    "SENDING_METHODS",
    "TOKEN_PATTERN",
    "ApiError",
    "Call",
    "Handler",
    "Upload",
    "as_int",
    "bad",
    "error_description",
    "json_response",
    "read_params",
]

TOKEN_PATTERN = re.compile(r"\d+:[A-Za-z0-9_-]{30,}")

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 20 * 1024 * 1024

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


def bad(description: str) -> ApiError:
    """``400 Bad Request: <description>``."""
    return ApiError(400, f"Bad Request: {description}")


def error_description(status: int) -> str:
    """Telegram's description for an error status without a more specific one."""
    description = _ERROR_DESCRIPTIONS.get(status)
    if description is not None:
        return description
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def as_int(value: Any) -> int | None:
    """An integer parameter as Telegram reads it (numbers or numeric strings), else ``None``."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"-?\d{1,20}", value.strip()):
        return int(value)
    return None


Handler = Callable[["Call"], Awaitable[Any]]
"""A Bot API method: its result, or an ``ApiError``."""


def json_response(body: dict[str, Any], status: int = 200) -> web.Response:
    return web.json_response(body, status=status)


@dataclass
class Upload:
    """A file in a multipart request."""

    filename: str
    data: bytes
    content_type: str


class Call:
    """Parameters of one request with Telegram-like coercion and errors."""

    def __init__(
        self,
        method: str,
        token: str,
        params: dict[str, Any],
        files: dict[str, Upload],
    ) -> None:
        self.method = method
        self.token = token
        self.params = params
        self.files = files
        self.user: FakeUser | None = None
        """The chat's user, for methods addressed to a chat (set before the handler runs)."""

    def require_user(self) -> FakeUser:
        if self.user is None:  # a handler registered without a chat check: emulator bug
            raise RuntimeError(f"{self.method} needs a chat")
        return self.user

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
        raise bad(f'field "{name}" must be of type String')

    def str_req(self, name: str, missing: str) -> str:
        value = self.str_opt(name)
        if value is None:
            raise bad(missing)
        return value

    def int_opt(self, name: str) -> int | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        number = as_int(value)
        if number is None:
            raise bad(f'field "{name}" must be a valid Number')
        return number

    def int_req(self, name: str, missing: str) -> int:
        value = self.int_opt(name)
        if value is None:
            raise bad(missing)
        return value

    def float_opt(self, name: str) -> float | None:
        value = self.params.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad(f'field "{name}" must be a valid Number') from None

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
        raise bad(f'field "{name}" must be of type Boolean')

    def json_opt(self, name: str, error: str) -> Any:
        value = self.params.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad(error) from None
        return value

    def string_list_opt(self, name: str, error: str) -> list[str] | None:
        """A JSON array of strings (``allowed_updates``), or ``None`` when absent."""
        value = self.json_opt(name, error)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad(error)
        return value

    def peek_chat_id(self) -> int | None:
        return as_int(self.params.get("chat_id"))


async def read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, Upload]]:
    """Query string plus JSON, form-urlencoded or multipart body, as Telegram accepts them."""
    params: dict[str, Any] = dict(request.query)
    files: dict[str, Upload] = {}
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
                    raise bad("can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise bad("can't parse JSON object")
                params.update(body)
        elif content_type in {"application/x-www-form-urlencoded", "multipart/form-data"}:
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, web.FileField):
                    files[key] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    params[key] = value
    except web.HTTPRequestEntityTooLarge:
        raise ApiError(413, "Request Entity Too Large") from None
    return params, files
