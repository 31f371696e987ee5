"""Personal invitation links: `https://t.me/<bot>?start=<code>`, one per dossier made by staff.

The code is a bearer secret: whoever has the link can claim the dossier. It therefore
carries 128 random bits and never goes into a log line. The database keeps the code itself
(not a digest): staff resend a link, and a list sent again gets the links it got before.
"""

from __future__ import annotations

import re
import secrets
from typing import Final

CODE_BYTES: Final = 16  # 128 random bits; token_urlsafe turns them into 22 characters
# Telegram passes at most 64 characters of [A-Za-z0-9_-] as the /start parameter. Fewer
# than 16 such characters cannot hold 96 random bits, so shorter texts are not our codes.
MIN_CODE_LENGTH: Final = 16
MAX_CODE_LENGTH: Final = 64
_CODE = re.compile(rf"[A-Za-z0-9_-]{{{MIN_CODE_LENGTH},{MAX_CODE_LENGTH}}}")
# Telegram usernames: 5-32 characters, letters, digits and underscores (bots end in "bot").
_USERNAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{4,31}")


def new_code() -> str:
    """A fresh invitation code: 128 bits from `secrets`, 22 characters of [A-Za-z0-9_-]."""
    return secrets.token_urlsafe(CODE_BYTES)


def is_code_shaped(text: str) -> bool:
    """Whether `text` could be an invitation code (shape only; the database decides)."""
    return _CODE.fullmatch(text) is not None


def invitation_link(bot_username: str, code: str) -> str:
    """`https://t.me/<username>?start=<code>`; a leading "@" on the username is dropped.

    Raises ValueError for a malformed username or code: a broken link must not reach a
    client.
    """
    username = bot_username.removeprefix("@")
    if _USERNAME.fullmatch(username) is None:
        raise ValueError(f"not a Telegram username: {bot_username!r}")
    if not is_code_shaped(code):
        raise ValueError("not an invitation code")  # the code itself stays out of logs
    return f"https://t.me/{username}?start={code}"
