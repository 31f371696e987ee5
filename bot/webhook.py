"""Webhook mode: Telegram POSTs each update to `WEBHOOK_URL`; a 2xx answer means it is stored.

The bot registers exactly `WEBHOOK_URL` with a `secret_token` (`WEBHOOK_SECRET`, or one made
once with `secrets` and kept in the database), and serves that URL's path on
`LISTEN_HOST:LISTEN_PORT` (`bot/health.py` runs the small aiohttp server). For each POST:

- without the right `X-Telegram-Bot-Api-Secret-Token` header: 403, nothing is read;
- a body that is not an update (no JSON object with an integer `update_id`): 400;
- otherwise the update is stored in the inbox (`storage.inbox.store_updates`, committed) and
  only then answered 200, and the update worker is woken; an update seen before is simply
  answered 200 again. When storing fails the answer is 500, so Telegram sends it again.

Telegram forgets an update once it got a 2xx for it, so a `kill -9` at any moment loses
nothing answered: it was committed before the answer left.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web

from bot.services import Services
from bot.updates import user_id_of
from storage import inbox
from storage.meta import setdefault_meta

_LOGGER = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name)
# Where a generated secret is kept (table `meta`), so that it survives restarts.
SECRET_KEY = "webhook_secret"  # noqa: S105 (a key name)
# Telegram's updates are small; anything far larger is not one of them.
MAX_BODY = 1024 * 1024


def webhook_path(url: str) -> str:
    """The path the bot serves: the path of `WEBHOOK_URL` ("/" when it has none)."""
    return urlsplit(url).path or "/"


async def webhook_secret(services: Services) -> str:
    """`WEBHOOK_SECRET`, or the one made at the first start in webhook mode (kept in `meta`)."""
    configured = services.settings.webhook_secret
    if configured:
        return configured
    return await setdefault_meta(services.db, SECRET_KEY, secrets.token_urlsafe(32))


class WebhookReceiver:
    """The request handler of the webhook path."""

    def __init__(
        self,
        services: Services,
        secret: str,
        on_stored: Callable[[], None],
        on_delivery: Callable[[], None] | None = None,
    ) -> None:
        self.services = services
        self._secret = secret.encode()
        self.on_stored = on_stored
        self.on_delivery = on_delivery
        # Answers given, by HTTP status (for /metrics).
        self.responses: Counter[int] = Counter()

    async def handle(self, request: web.Request) -> web.Response:
        response = await self._answer(request)
        self.responses[response.status] += 1
        return response

    async def _answer(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, self._secret):
            _LOGGER.warning("Webhook request without the right secret token refused")
            return web.Response(status=403, text="forbidden")
        if self.on_delivery is not None:
            self.on_delivery()  # Telegram reached us
        try:
            payload = json.loads(await request.read())
        except (ValueError, UnicodeDecodeError):
            payload = None
        update_id = _update_id(payload)
        if update_id is None or not isinstance(payload, dict):  # (the second: for mypy)
            _LOGGER.warning("Webhook request with a body that is not an update refused")
            return web.Response(status=400, text="not an update")
        user_id = user_id_of(payload)
        try:
            new = await inbox.store_updates(
                self.services.db, [(update_id, user_id, payload)], self.services.clock.now()
            )
        except Exception:
            _LOGGER.exception(
                "Storing webhook update %s failed; Telegram will send it again",
                update_id,
                extra={"update_id": update_id, "user_id": user_id},
            )
            return web.Response(status=500, text="not stored")
        if new:
            self.on_stored()
        else:
            _LOGGER.debug(
                "Webhook update %s was stored before",
                update_id,
                extra={"update_id": update_id, "user_id": user_id},
            )
        return web.Response(status=200, text="ok")


def _update_id(payload: Any) -> int | None:
    if not isinstance(payload, dict):
        return None
    value = payload.get("update_id")
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        return None
    return value
