"""Checks of what a message looks like: text and captions (HTML parse mode, limits), keyboards."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

from bot.emulator.html import HtmlError, parse_telegram_html, utf16_len
from bot.emulator.request import MAX_CAPTION_LENGTH, MAX_TEXT_LENGTH, Call, bad

__all__ = ["format_text", "parse_markup", "trim"]

MAX_CALLBACK_DATA_BYTES = 64
MAX_BUTTONS = 100
MAX_REPLY_BUTTONS = 300

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
_SPACES = " \t\r\n\f\v"


def format_text(
    call: Call,
    text: str,
    *,
    mode_key: str,
    entities_key: str,
    caption: bool,
    strict_html: bool,
) -> tuple[str, list[dict[str, Any]], str | None]:
    """Parse text/caption like Telegram: (plain, entities, parse_mode)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise bad("strings must be encoded in UTF-8") from None
    parse_mode = call.str_opt(mode_key) or None
    explicit = call.json_opt(entities_key, "can't parse entities JSON object")
    if explicit is not None:
        if not isinstance(explicit, list) or not all(
            isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in explicit
        ):
            raise bad("can't parse entities JSON object")
        plain, entities = text, copy.deepcopy(explicit)
    elif parse_mode is None:
        plain, entities = text, []
    elif parse_mode.lower() == "html":
        try:
            plain, entities = parse_telegram_html(text, strict=strict_html)
        except HtmlError as exc:
            raise bad(f"can't parse entities: {exc.description}") from None
    elif parse_mode.lower() in {"markdown", "markdownv2"}:
        raise bad("unsupported parse_mode (the Bot API emulator implements only HTML)")
    else:
        raise bad("unsupported parse_mode")
    plain, entities = trim(plain, entities)
    limit = MAX_CAPTION_LENGTH if caption else MAX_TEXT_LENGTH
    if not plain and not caption:
        raise bad("message text is empty")
    if utf16_len(plain) > limit:
        raise bad("message caption is too long" if caption else "message is too long")
    return plain, entities, parse_mode


def trim(plain: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace as Telegram does, keeping entities in step."""
    stripped = plain.strip(_SPACES)
    if stripped == plain:
        return plain, entities
    shift = utf16_len(plain[: len(plain) - len(plain.lstrip(_SPACES))])
    total = utf16_len(stripped)
    trimmed: list[dict[str, Any]] = []
    for entity in entities:
        start = max(int(entity["offset"]) - shift, 0)
        end = min(int(entity["offset"]) + int(entity["length"]) - shift, total)
        if end > start:
            trimmed.append({**entity, "offset": start, "length": end - start})
    return stripped, trimmed


def parse_markup(call: Call, *, inline_only: bool) -> dict[str, Any] | None:
    """The ``reply_markup`` parameter, checked like Telegram checks it."""
    markup = call.json_opt("reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise bad("can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        _check_inline_keyboard(markup["inline_keyboard"])
    elif inline_only:
        raise bad("inline keyboard expected")
    elif "keyboard" in markup:
        _check_reply_keyboard(markup)
    elif markup.get("remove_keyboard") is not True and markup.get("force_reply") is not True:
        raise bad("can't parse reply keyboard markup JSON object")
    return copy.deepcopy(markup)


def _check_inline_keyboard(rows: Any) -> None:
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad('field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_BUTTONS:
        raise bad("reply markup is too long")
    for row in rows:
        for button in row:
            _check_inline_button(button)


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict):
        raise bad("can't parse inline keyboard button: InlineKeyboardButton must be an Object")
    text = button.get("text")
    if not isinstance(text, str) or not text.strip():
        raise bad("BUTTON_TEXT_INVALID")
    actions = [name for name in _BUTTON_ACTIONS if button.get(name) is not None]
    if not actions:
        raise bad(
            "can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
        )
    if len(actions) > 1:
        raise bad(
            "can't parse inline keyboard button: exactly one of the optional fields "
            f"must be used, got {actions}"
        )
    if "callback_data" in actions:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= (
            MAX_CALLBACK_DATA_BYTES
        ):
            raise bad("BUTTON_DATA_INVALID")
    if "url" in actions:
        url = button["url"]
        parts = urlsplit(url) if isinstance(url, str) else None
        if (
            parts is None
            or parts.scheme not in {"http", "https", "tg"}
            or (parts.scheme != "tg" and not parts.netloc)
        ):
            raise bad(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _check_reply_keyboard(markup: dict[str, Any]) -> None:
    rows = markup["keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad('field "keyboard" of the ReplyKeyboardMarkup must be an Array of Arrays')
    if sum(len(row) for row in rows) > MAX_REPLY_BUTTONS:
        raise bad("reply markup is too long")
    for row in rows:
        for button in row:
            text = button if isinstance(button, str) else None
            if isinstance(button, dict):
                text = button.get("text")
            if not isinstance(text, str) or not text.strip():
                raise bad("can't parse keyboard button: Text must be non-empty")
    placeholder = markup.get("input_field_placeholder")
    if placeholder is not None and (not isinstance(placeholder, str) or len(placeholder) > 64):
        raise bad("input field placeholder is too long")
