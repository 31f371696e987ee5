"""The HTTP client under python-telegram-bot: its requests over aiohttp instead of httpx.

python-telegram-bot builds every Bot API request and reads every answer itself (429 →
`RetryAfter`, 403 → `Forbidden`, 400 → `BadRequest`, 5xx → `NetworkError`, ...); only the
transport is pluggable (`telegram.request.BaseRequest`, its documented extension point).
httpx with httpcore and h11, pure Python, cost about 40 % of the bot's CPU, more than all of
the bot's own work (docs/benchmarks.md); aiohttp's parser and connection pool are compiled
and need a third of that. The bot already depends on aiohttp (webhook, /healthz, the
emulator).

What `do_request` promises python-telegram-bot, as its own `HTTPXRequest` does: the status
and the body of any answer, `TimedOut` when a timeout ran out (the request may or may not
have reached Telegram), `NetworkError` for any other trouble on the way.
"""

from __future__ import annotations

import contextlib
import ssl
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# python-telegram-bot's "not given, use your own default" (its DefaultValue class).
_DEFAULT = type(BaseRequest.DEFAULT_NONE)


class AiohttpRequest(BaseRequest):
    """A pool of up to `connection_pool_size` connections, with python-telegram-bot's
    timeouts: connect, pool (waiting for a free connection), read, and write, which aiohttp
    does not time apart: the whole request is bounded by the sum of all four."""

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._proxies: dict[str, str] = {}
        self._proxy_of: dict[tuple[str, str], str | None] = {}  # (scheme, host) -> proxy

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size, ssl=_ssl_context()),
                headers={"User-Agent": self.USER_AGENT},
                cookie_jar=aiohttp.DummyCookieJar(),  # the Bot API sets none
            )
            # HTTPS_PROXY and the like, as httpx honours them; read once (aiohttp's own
            # `trust_env` reads them, and ~/.netrc, on every request, on a thread).
            self._proxies = urllib.request.getproxies()
            self._proxy_of.clear()

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: object = BaseRequest.DEFAULT_NONE,
        write_timeout: object = BaseRequest.DEFAULT_NONE,
        connect_timeout: object = BaseRequest.DEFAULT_NONE,
        pool_timeout: object = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        session = self._session
        if session is None or session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = request_data.multipart_data if request_data is not None else None
        fields = request_data.json_parameters if request_data is not None else {}
        read = _given(read_timeout, self._read_timeout)
        write = _given(write_timeout, self._media_write_timeout if files else self._write_timeout)
        connect = _given(connect_timeout, self._connect_timeout)
        pool = _given(pool_timeout, self._pool_timeout)
        timeout = aiohttp.ClientTimeout(
            total=_sum(read, write, connect, pool),
            connect=_sum(connect, pool),  # aiohttp's includes the wait for a free connection
            sock_connect=connect,
            sock_read=read,
        )
        body: Any = _form(fields, files) if files else fields
        try:
            async with session.request(
                method, url, data=body, timeout=timeout, proxy=self.proxy_for(url)
            ) as response:
                return response.status, await response.read()
        except TimeoutError as exc:  # aiohttp's own timeouts are TimeoutErrors too
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc

    def proxy_for(self, url: str) -> str | None:
        """The proxy for this URL from the environment (HTTPS_PROXY, NO_PROXY, ...), if any."""
        if not self._proxies:
            return None
        parts = urlsplit(url)
        key = (parts.scheme, parts.hostname or "")
        if key not in self._proxy_of:
            bypass = urllib.request.proxy_bypass(key[1])  # NO_PROXY
            proxy = self._proxies.get(key[0]) or self._proxies.get("all")
            self._proxy_of[key] = None if bypass else proxy
        return self._proxy_of[key]


def _given(value: object, default: float | None) -> float | None:
    if isinstance(value, _DEFAULT):
        return default
    if value is None:
        return None
    if isinstance(value, int | float):
        return float(value)
    raise TypeError(f"a timeout is a number of seconds or None, not {value!r}")


def _sum(*timeouts: float | None) -> float | None:
    """None (no bound) when any part has none."""
    total = 0.0
    for part in timeouts:
        if part is None:
            return None
        total += part
    return total


def _form(fields: dict[str, str], files: dict[str, Any]) -> aiohttp.FormData:
    """multipart/form-data: the parameters, then each file as (name, content, MIME type)."""
    form = aiohttp.FormData()
    for name, value in fields.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form


def _ssl_context() -> ssl.SSLContext:
    """The certificates httpx trusts (certifi's), else the system's."""
    with contextlib.suppress(ImportError):
        import certifi  # noqa: PLC0415 - python-telegram-bot's httpx brings it

        return ssl.create_default_context(cafile=certifi.where())
    return ssl.create_default_context()
