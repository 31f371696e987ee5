"""``/bot<token>/<method>``: from an HTTP request to a method's answer, with the checks every
method shares (token, known chat, blocked user, faults, flood limits) and the records."""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.faults import too_many_requests
from bot.emulator.records import ApiCall
from bot.emulator.request import (
    SENDING_METHODS,
    ApiError,
    Call,
    Handler,
    json_response,
    read_params,
)

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.users import FakeUser

__all__ = ["ApiDispatcher"]

_LOGGER = logging.getLogger(__name__)

_API_PATH = re.compile(r"/bot([^/]+)/([^/]+)/?")
# Methods addressed to a chat_id that must be a known, non-blocking user.
_CHAT_METHODS = SENDING_METHODS | {"sendChatAction"}
_BLOCKED = "Forbidden: bot was blocked by the user"
_STALL_POLL = 0.02  # how often a stalled request looks whether its client gave up


class ApiDispatcher:
    """Answers Bot API requests with the handlers of the emulator's parts."""

    def __init__(self, emulator: BotApiEmulator, methods: dict[str, Handler]) -> None:
        self._emu = emulator
        # Telegram matches method names case-insensitively; stats use the documented case.
        self._methods = {name.lower(): (name, handler) for name, handler in methods.items()}

    async def handle(self, request: web.Request) -> web.Response:
        emu = self._emu
        match = _API_PATH.fullmatch(request.path)
        if match is None:
            return json_response(ApiError(404, "Not Found").body(), 404)
        token, method_name = match.groups()
        if not emu.token_ok(token):
            emu.stats.responses[401] += 1
            return json_response(ApiError(401, "Unauthorized").body(), 401)
        entry = self._methods.get(method_name.lower())
        if entry is None:
            emu.stats.requests[method_name] += 1
            emu.stats.responses[404] += 1
            return json_response(ApiError(404, "Not Found").body(), 404)
        method, handler = entry
        emu.stats.requests[method] += 1
        if emu.delay > 0:
            await asyncio.sleep(emu.delay)

        call: Call | None = None
        user: FakeUser | None = None
        chat_id: int | None = None
        try:
            params, files = await read_params(request)
            call = Call(method, token, params, files)
            chat_id = call.peek_chat_id()
            user = self._activity_user(method, call, chat_id)
            if user is not None:
                user.request_started()
            result = await self._dispatch(request, method, handler, call, chat_id)
            status, body = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, body = exc.status, exc.body()
        except Exception as exc:  # an emulator bug: answer 500 and keep it for the tests
            _LOGGER.exception("Bot API emulator failed on %s", method)
            emu.internal_errors.append(exc)
            status = 500
            body = ApiError(500, f"Internal Server Error (emulator bug: {exc!r})").body()
        finally:
            if user is not None:
                user.request_finished()
        emu.stats.responses[status] += 1
        emu.requests.append(
            ApiCall(
                method=method,
                params=dict(call.params) if call else {},
                status=status,
                chat_id=chat_id,
                files={k: v.filename for k, v in call.files.items()} if call else {},
            )
        )
        return json_response(body, status)

    def _activity_user(self, method: str, call: Call, chat_id: int | None) -> FakeUser | None:
        """The user whose chat this request is about (it keeps the chat from being idle)."""
        if method == "answerCallbackQuery":
            user_id = self._emu.updates.query_user(call.str_opt("callback_query_id") or "")
        else:
            user_id = chat_id
        return None if user_id is None else self._emu.find_user(user_id)

    async def _dispatch(
        self,
        request: web.Request,
        method: str,
        handler: Handler,
        call: Call,
        chat_id: int | None,
    ) -> Any:
        faults = self._emu.faults
        faults.check_fail_next(method, chat_id)
        injection = faults.draw(method)
        if injection is None:
            return await self._perform(method, handler, call, chat_id)
        window = injection.window
        if injection.kind == "429":
            raise too_many_requests(window.retry_after)
        if injection.kind == "502":
            raise ApiError(502, "Bad Gateway")
        if not window.apply_before_stall:
            await self._stall(request, window.stall)
            raise ApiError(504, "Gateway Timeout")
        try:
            return await self._perform(method, handler, call, chat_id)
        finally:  # done, but the answer (success or error) comes late
            await self._stall(request, window.stall)

    async def _perform(
        self, method: str, handler: Handler, call: Call, chat_id: int | None
    ) -> Any:
        emu = self._emu
        if method in _CHAT_METHODS:
            call.user = emu.chats.require_chat(call)
            if emu.is_blocked(call.user.id):
                raise ApiError(403, _BLOCKED)
        if method in SENDING_METHODS:
            emu.limiter.check(chat_id)
        result = await handler(call)
        if method in SENDING_METHODS:
            emu.limiter.record(chat_id)
        return result

    async def _stall(self, request: web.Request, seconds: float) -> None:
        """Hold the request: ``seconds`` long, until its client gives up, or until stop()."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while not self._emu.closing:
            remaining = deadline - loop.time()
            transport = request.transport
            if remaining <= 0 or transport is None or transport.is_closing():
                return
            await asyncio.sleep(min(remaining, _STALL_POLL))
