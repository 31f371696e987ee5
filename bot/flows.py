"""Flows: a conversation of one or more questions. A user is in at most one step of one flow.

Each step names the answers it takes (typed text, a document, buttons of given kinds) and
how it asks its question; the router sends everything else to the step's `retry`, which
says again what is expected without changing anything. Step names are strings that are
stored, so they stay stable when steps are added or reordered.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.buttons import ButtonKind

if TYPE_CHECKING:
    from bot.turn import Turn

V = TypeVar("V")
Handler = Callable[["Turn"], Awaitable[None]]
TextHandler = Callable[["Turn", str], Awaitable[None]]


@dataclass(frozen=True)
class ButtonRoute(Generic[V]):
    kind: ButtonKind[V]
    handler: Callable[[Turn, V], Awaitable[None]]
    # For "anywhere" buttons: whether the bot still offers this value to this user (checked
    # before anything changes); if not, `otherwise` answers (default: the stale-button
    # answer), changing nothing.
    offered: Callable[[Turn, V], Awaitable[bool]] | None = None
    otherwise: Callable[[Turn, V], Awaitable[None]] | None = None


def on(
    kind: ButtonKind[V],
    handler: Callable[[Turn, V], Awaitable[None]],
    offered: Callable[[Turn, V], Awaitable[bool]] | None = None,
    otherwise: Callable[[Turn, V], Awaitable[None]] | None = None,
) -> ButtonRoute[V]:
    """A press of `kind` goes to `handler` with the button's typed value."""
    return ButtonRoute(kind, handler, offered, otherwise)


@dataclass(frozen=True)
class Step:
    ask: Handler  # asks this step's question (also when coming back to a paused flow)
    text: TextHandler | None = None
    buttons: tuple[ButtonRoute[Any], ...] = ()
    document: Handler | None = None
    retry: Handler | None = None  # anything unexpected; `ask` when not given

    def route(self, kind: ButtonKind[Any]) -> ButtonRoute[Any] | None:
        return next((route for route in self.buttons if route.kind is kind), None)


@dataclass(frozen=True)
class Flow:
    name: str
    steps: Mapping[str, Step]
    # The first question: a flow left there holds no answers worth keeping.
    first: str
    # Typing this command starts the flow; named in the note when the flow is left.
    command: str | None = None
    # Left after its first question for another command, its answers wait as a draft
    # that its command offers back.
    keeps_draft: bool = False
    kinds: frozenset[ButtonKind[Any]] = field(init=False)

    def __post_init__(self) -> None:
        if self.first not in self.steps:
            raise ValueError(f"flow {self.name!r} has no step {self.first!r}")
        kinds = frozenset(route.kind for step in self.steps.values() for route in step.buttons)
        object.__setattr__(self, "kinds", kinds)
