"""`kmo-bot sandbox`: try the whole bot in a terminal, without Telegram or a network."""

from bot.sandbox.session import (
    SandboxOptions,
    SandboxSession,
    add_arguments,
    main,
    options_from,
    parse_shift,
)

__all__ = [
    "SandboxOptions",
    "SandboxSession",
    "add_arguments",
    "main",
    "options_from",
    "parse_shift",
]
