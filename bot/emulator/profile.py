"""The bot itself: ``getMe``, command menus per scope, name and descriptions, menu button."""

from __future__ import annotations

import copy
import re
from typing import TYPE_CHECKING, Any

from bot.emulator.request import Call, Handler, as_int, bad

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

__all__ = ["BotProfile"]

MAX_COMMANDS = 100

_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
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
_TEXT_FIELDS = {
    "setMyName": "name",
    "getMyName": "name",
    "setMyDescription": "description",
    "getMyDescription": "description",
    "setMyShortDescription": "short_description",
    "getMyShortDescription": "short_description",
}
_TEXT_LIMITS = {"name": 64, "description": 512, "short_description": 120}

ScopeKey = tuple[str, int | None, int | None, str]
"""(scope type, chat_id, user_id, language_code)."""


class BotProfile:
    """What the bot set about itself, and the methods that set and read it."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._commands: dict[ScopeKey, list[dict[str, str]]] = {}
        self._texts: dict[str, dict[str, str]] = {name: {} for name in _TEXT_LIMITS}
        self._menu_buttons: dict[int | None, dict[str, Any]] = {}

    def methods(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "logOut": self._true,
            "close": self._true,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            **{name: self._set_text for name in _TEXT_FIELDS if name.startswith("set")},
            **{name: self._get_text for name in _TEXT_FIELDS if name.startswith("get")},
            "setChatMenuButton": self._set_chat_menu_button,
            "getChatMenuButton": self._get_chat_menu_button,
        }

    def commands(self, scope: dict[str, Any], language_code: str) -> list[dict[str, str]]:
        """The commands the bot set for exactly this scope and language."""
        key = self._scope_key(scope, language_code, check_chat=False)
        return copy.deepcopy(self._commands.get(key, []))

    def visible_commands(self, user_id: int, language_code: str) -> list[dict[str, str]]:
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

    def _scope_key(self, scope: Any, language_code: str, *, check_chat: bool = True) -> ScopeKey:
        if not isinstance(scope, dict) or scope.get("type") not in _SCOPES:
            raise bad("can't parse BotCommandScope JSON object")
        if language_code and not re.fullmatch(r"[a-z]{2}", language_code):
            raise bad("invalid language code specified")
        scope_type = str(scope["type"])
        chat_id: int | None = None
        user_id: int | None = None
        if scope_type in {"chat", "chat_administrators", "chat_member"}:
            chat_id = as_int(scope.get("chat_id"))
            if chat_id is None or (check_chat and self._emu.find_user(chat_id) is None):
                raise bad("chat not found")
        if scope_type == "chat_member":
            user_id = as_int(scope.get("user_id"))
            if user_id is None:
                raise bad("user not found")
        return scope_type, chat_id, user_id, language_code

    def _command_key(self, call: Call) -> ScopeKey:
        scope = call.json_opt("scope", "can't parse BotCommandScope JSON object")
        return self._scope_key(scope or {"type": "default"}, call.str_opt("language_code") or "")

    # -- methods ------------------------------------------------------------------------------

    async def _true(self, call: Call) -> bool:
        return True

    async def _get_me(self, call: Call) -> dict[str, Any]:
        return {
            **self._emu.bot_user(call.token),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _set_my_commands(self, call: Call) -> bool:
        commands = call.json_opt("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        if len(commands) > MAX_COMMANDS:
            raise bad("BOT_COMMANDS_TOO_MUCH")
        checked: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad("can't parse BotCommand JSON object")
            name, description = command.get("command"), command.get("description")
            if not isinstance(name, str) or not _COMMAND_NAME.fullmatch(name):
                raise bad("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name, "description": description})
        key = self._command_key(call)
        if checked:
            self._commands[key] = checked
        else:
            self._commands.pop(key, None)
        return True

    async def _delete_my_commands(self, call: Call) -> bool:
        self._commands.pop(self._command_key(call), None)
        return True

    async def _get_my_commands(self, call: Call) -> list[dict[str, str]]:
        return copy.deepcopy(self._commands.get(self._command_key(call), []))

    async def _set_text(self, call: Call) -> bool:
        field_name = _TEXT_FIELDS[call.method]
        value = call.str_opt(field_name) or ""
        if len(value) > _TEXT_LIMITS[field_name]:
            raise bad(f"bot {field_name.replace('_', ' ')} is too long")
        self._texts[field_name][call.str_opt("language_code") or ""] = value
        return True

    async def _get_text(self, call: Call) -> dict[str, str]:
        field_name = _TEXT_FIELDS[call.method]
        texts = self._texts[field_name]
        language = call.str_opt("language_code") or ""
        default = self._emu.bot_first_name if field_name == "name" else ""
        return {field_name: texts.get(language) or texts.get("", default)}

    async def _set_chat_menu_button(self, call: Call) -> bool:
        chat_id = call.int_opt("chat_id")
        if chat_id is not None and self._emu.find_user(chat_id) is None:
            raise bad("chat not found")
        button = call.json_opt("menu_button", "can't parse menu button JSON object")
        if button is not None and not isinstance(button, dict):
            raise bad("can't parse menu button JSON object")
        self._menu_buttons[chat_id] = button or {"type": "default"}
        return True

    async def _get_chat_menu_button(self, call: Call) -> dict[str, Any]:
        chat_id = call.int_opt("chat_id")
        button = self._menu_buttons.get(chat_id) or self._menu_buttons.get(None)
        return copy.deepcopy(button or {"type": "commands"})
