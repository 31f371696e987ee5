"""The JSON control API under ``/_emulator/``: fake users, events, stats and faults for
processes that cannot hold a ``FakeUser`` (benchmarks, the standalone emulator).

Answers look like the Bot API's: ``{"ok": true, "result": ...}`` or ``{"ok": false,
"error_code": ..., "description": ...}``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.faults import DEFAULT_STALL, FAULT_KINDS
from bot.emulator.request import as_int, json_response

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator
    from bot.emulator.users import FakeUser

__all__ = ["ControlApi"]

_MAX_EVENTS_WAIT = 60.0


class ControlApi:
    """Routes of the control API; each uses the emulator's public test-side API."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator

    def register(self, app: web.Application) -> None:
        base = "/_emulator"
        app.router.add_get(f"{base}/users", self._list_users)
        app.router.add_post(f"{base}/users", self._create_user)
        app.router.add_get(f"{base}/users/{{user_id}}/messages", self._messages)
        app.router.add_get(f"{base}/users/{{user_id}}/commands", self._commands)
        app.router.add_post(f"{base}/users/{{user_id}}/send", self._send)
        app.router.add_post(f"{base}/users/{{user_id}}/open_link", self._open_link)
        app.router.add_post(f"{base}/users/{{user_id}}/press", self._press)
        app.router.add_post(f"{base}/users/{{user_id}}/block", self._block)
        app.router.add_post(f"{base}/users/{{user_id}}/unblock", self._unblock)
        app.router.add_get(f"{base}/events", self._events)
        app.router.add_get(f"{base}/stats", self._stats)
        app.router.add_post(f"{base}/faults", self._inject_faults)
        app.router.add_delete(f"{base}/faults", self._clear_faults)

    def _user(self, request: web.Request, *, create: bool = True) -> FakeUser:
        """The user of the URL; created on first use unless ``create`` is false."""
        user_id = as_int(request.match_info["user_id"])
        if user_id is None or user_id <= 0:
            raise control_error(web.HTTPBadRequest, "user id must be a positive integer")
        if not create and self._emu.find_user(user_id) is None:
            raise control_error(web.HTTPNotFound, f"unknown user {user_id}")
        return self._emu.user(user_id)

    @staticmethod
    async def _body(request: web.Request) -> dict[str, Any]:
        if not request.body_exists:
            return {}
        try:
            body = await request.json()
        except ValueError:
            raise control_error(web.HTTPBadRequest, "body must be a JSON object") from None
        if not isinstance(body, dict):
            raise control_error(web.HTTPBadRequest, "body must be a JSON object")
        return body

    @staticmethod
    def _ok(result: Any) -> web.Response:
        return json_response({"ok": True, "result": result})

    async def _list_users(self, request: web.Request) -> web.Response:
        users = self._emu.users.values()
        return self._ok([{**u.to_api(), "blocked": self._emu.is_blocked(u.id)} for u in users])

    async def _create_user(self, request: web.Request) -> web.Response:
        body = await self._body(request)
        user_id = as_int(body.get("id"))
        if user_id is None or user_id <= 0:
            raise control_error(web.HTTPBadRequest, '"id" must be a positive integer')
        user = self._emu.user(
            user_id,
            str(body.get("first_name") or "Test"),
            body.get("username"),
            last_name=body.get("last_name"),
            language_code=body.get("language_code"),
        )
        return self._ok(user.to_api())

    async def _send(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise control_error(web.HTTPBadRequest, '"text" must be a non-empty string')
        return self._ok({"message_id": await user.send(text)})

    async def _open_link(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        url = body.get("url")
        if not isinstance(url, str):
            raise control_error(web.HTTPBadRequest, '"url" must be a string')
        try:
            message_id = await user.open_link(url)
        except AssertionError as exc:
            raise control_error(web.HTTPBadRequest, str(exc)) from None
        return self._ok({"message_id": message_id})

    async def _press(self, request: web.Request) -> web.Response:
        user = self._user(request)
        body = await self._body(request)
        message_id = as_int(body.get("message_id"))
        try:
            if "data" in body:
                if message_id is None:
                    raise control_error(web.HTTPBadRequest, '"message_id" is required with "data"')
                query_id = await user.press_data(message_id, str(body["data"]))
            elif isinstance(body.get("button"), str | int):
                message = (
                    None if message_id is None else self._emu.find_message(user.id, message_id)
                )
                if message_id is not None and message is None:
                    raise control_error(web.HTTPNotFound, f"no bot message {message_id}")
                query_id = await user.press(body["button"], message)
            else:
                raise control_error(
                    web.HTTPBadRequest, 'give "message_id" and "data", or "button"'
                )
        except AssertionError as exc:
            raise control_error(web.HTTPNotFound, str(exc)) from None
        return self._ok({"callback_query_id": query_id})

    async def _messages(self, request: web.Request) -> web.Response:
        user = self._user(request, create=False)
        after = as_int(request.query.get("after", "0")) or 0
        return self._ok([m.to_json() for m in user.messages if m.message_id > after])

    async def _commands(self, request: web.Request) -> web.Response:
        user = self._user(request, create=False)
        return self._ok(user.commands(request.query.get("language_code")))

    async def _block(self, request: web.Request) -> web.Response:
        self._emu.block(self._user(request).id)
        return self._ok(True)

    async def _unblock(self, request: web.Request) -> web.Response:
        self._emu.unblock(self._user(request).id)
        return self._ok(True)

    async def _events(self, request: web.Request) -> web.Response:
        """Events after ``after`` (a seq); waits up to ``timeout`` seconds for new ones."""
        after = as_int(request.query.get("after", "0")) or 0
        chat_id = as_int(request.query.get("chat_id", ""))
        try:
            timeout = min(max(float(request.query.get("timeout", "0")), 0.0), _MAX_EVENTS_WAIT)
        except ValueError:
            raise control_error(web.HTTPBadRequest, "timeout must be a number") from None
        events = self._emu.events

        def selected() -> list[dict[str, Any]]:
            return [e for e in events[after:] if chat_id is None or e.get("chat_id") == chat_id]

        await self._emu.wait_until(lambda: bool(selected()) or self._emu.closing, timeout)
        return self._ok(selected())

    async def _stats(self, request: web.Request) -> web.Response:
        return self._ok(
            {**self._emu.stats.to_json(), "pending_updates": self._emu.pending_updates}
        )

    async def _inject_faults(self, request: web.Request) -> web.Response:
        """Body: ``share``, ``duration`` and optionally the other ``inject_faults`` options."""
        body = await self._body(request)
        try:
            kinds = body.get("kinds", sorted(FAULT_KINDS))
            methods = body.get("methods")
            self._emu.inject_faults(
                float(body["share"]),
                duration=float(body["duration"]),
                kinds=[str(k) for k in kinds],
                methods=None if methods is None else [str(m) for m in methods],
                retry_after=int(body.get("retry_after", 1)),
                stall=float(body.get("stall", DEFAULT_STALL)),
                seed=int(body.get("seed", 0)),
                apply_before_stall=bool(body.get("apply_before_stall", False)),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise control_error(web.HTTPBadRequest, f"bad fault window: {exc}") from None
        return self._ok(True)

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self._emu.clear_faults()
        return self._ok(True)


def control_error(kind: type[web.HTTPError], description: str) -> web.HTTPError:
    """A control API error with a JSON body like the Bot API's."""
    body = {"ok": False, "error_code": kind.status_code, "description": description}
    return kind(text=json.dumps(body), content_type="application/json")
