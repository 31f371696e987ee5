"""The one place that turns `messages_nl/` templates into Telegram HTML and button labels."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

import messages_nl
from bot.domain.dates import format_date_nl, format_number_nl
from bot.domain.money import format_euro, format_percent

TELEGRAM_MAX_TEXT = 4096
_TAG = re.compile(r"<[^>]*>")

_ENV = Environment(
    loader=FileSystemLoader(Path(messages_nl.__file__).parent),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["datum"] = format_date_nl
_ENV.filters["getal"] = format_number_nl
_ENV.filters["euro"] = format_euro
_ENV.filters["procent"] = format_percent


def environment() -> Environment:
    """The one jinja2 environment (for tools that inspect the templates)."""
    return _ENV


def render(name: str, /, **context: Any) -> str:
    """Render `messages_nl/<name>.html` to Telegram HTML (user values are escaped)."""
    text = _ENV.get_template(f"{name}.html").render(**context).strip()
    length = visible_length(text)
    if length > TELEGRAM_MAX_TEXT:
        # Fail here, with the template's name, rather than as a 400 from Telegram.
        raise ValueError(f"message {name!r} renders to {length} characters")
    return text


def visible_length(telegram_html: str) -> int:
    """Length as Telegram counts it: tags removed, entities decoded, in UTF-16 code units."""
    plain = html.unescape(_TAG.sub("", telegram_html))
    return len(plain.encode("utf-16-le")) // 2


def label(name: str, /, **context: Any) -> str:
    """A button label: the macro `name` of `messages_nl/buttons.html`, as plain text."""
    return _plain_macro("buttons.html", name, **context)


def command_description(command: str) -> str:
    """The menu description of a command: the macro `command` of `messages_nl/commands.html`."""
    return _plain_macro("commands.html", command)


def _plain_macro(template: str, name: str, /, **context: Any) -> str:
    macro = getattr(_ENV.get_template(template).module, name)
    # Labels and descriptions are plain text, not HTML: undo what autoescape did to values.
    return html.unescape(str(macro(**context))).strip()
