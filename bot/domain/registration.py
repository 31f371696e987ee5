"""The six registration steps on www.kmo-portefeuille.be, as progress numbers.

`clients.registration_step` holds the next step to do: 0 = not started, 1..6, 7 = done.
"""

from __future__ import annotations

from typing import Final

STEP_COUNT: Final = 6
NOT_STARTED: Final = 0
FIRST_STEP: Final = 1
# Step 4, "register your company via 'mijn profiel'": the bot asks the company's details.
COMPANY_STEP: Final = 4
DONE: Final = STEP_COUNT + 1


def is_step(value: int) -> bool:
    """Whether `value` is one of the six steps (not "not started" or "done")."""
    return FIRST_STEP <= value <= STEP_COUNT


def in_progress(registration_step: int) -> bool:
    """Started but not finished: the client can resume where they stopped."""
    return is_step(registration_step)


def is_registered(registration_step: int) -> bool:
    return registration_step >= DONE
