"""Files: uploads, file_ids, ``getFile``, downloads, and the document and photo messages."""

from __future__ import annotations

import mimetypes
import struct
from typing import TYPE_CHECKING, Any

from aiohttp import web

from bot.emulator.formatting import parse_markup
from bot.emulator.records import SentMessage, StoredFile
from bot.emulator.request import (
    MAX_DOWNLOAD_BYTES,
    MAX_UPLOAD_BYTES,
    ApiError,
    Call,
    Handler,
    bad,
    json_response,
)

if TYPE_CHECKING:
    from bot.emulator.server import BotApiEmulator

__all__ = ["FileStore", "image_size"]

# Telegram's limits for photos: "width and height must not exceed 10000 in total", ratio 20.
_MAX_PHOTO_SIDES = 10_000
_MAX_PHOTO_RATIO = 20
_FILE_TYPES = {"documents": "Document", "photos": "Photo", "stickers": "Sticker", "voice": "Voice"}
_JPEG_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE})


class FileStore:
    """Every file the emulator holds, by file_id and by download path."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self._emu = emulator
        self._files: dict[str, StoredFile] = {}
        self._paths: dict[str, StoredFile] = {}
        self._next = 1

    def methods(self) -> dict[str, Handler]:
        return {
            "sendDocument": self._send_document,
            "sendPhoto": self._send_photo,
            "getFile": self._get_file,
        }

    def store(
        self, data: bytes, filename: str, mime_type: str, folder: str = "documents"
    ) -> StoredFile:
        """Keep ``data`` under a new file_id; ``folder`` is the kind (``photos``, ...)."""
        number = self._next
        self._next += 1
        suffix = "".join(c for c in filename.rpartition(".")[2] if c.isalnum())[:10]
        path = f"{folder}/file_{number}" + (f".{suffix}" if "." in filename and suffix else "")
        stored = StoredFile(
            file_id=f"BQACAgQAAxkBAAEM{number:08d}emulatorFileId",
            file_unique_id=f"AgADem{number:06d}",
            data=data,
            filename=filename,
            mime_type=mime_type,
            file_path=path,
        )
        self._files[stored.file_id] = stored
        self._paths[path] = stored
        return stored

    def alias(self, file_id: str, stored: StoredFile) -> None:
        """A second file_id for the same file (a photo's smaller size)."""
        self._files[file_id] = stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._files.get(file_id)

    def by_path(self, file_path: str) -> StoredFile | None:
        return self._paths.get(file_path)

    async def handle_download(self, request: web.Request) -> web.Response:
        """``GET <base_file_url><token>/<file_path>``: the file's bytes."""
        if not self._emu.token_ok(request.match_info["token"]):
            return json_response(ApiError(401, "Unauthorized").body(), 401)
        stored = self.by_path(request.match_info["file_path"])
        if stored is None:
            return json_response(ApiError(404, "Not Found").body(), 404)
        return web.Response(body=stored.data, content_type=stored.mime_type)

    # -- methods ------------------------------------------------------------------------------

    def _input_file(self, call: Call, name: str, folder: str) -> StoredFile:
        """The file of parameter ``name``: an upload (direct or ``attach://``) or a file_id."""
        upload = call.files.get(name)
        value = call.str_opt(name)
        if upload is None and value is not None and value.startswith("attach://"):
            upload = call.files.get(value.removeprefix("attach://"))
            if upload is None:
                raise bad(f"file for {name} not found in the request")
        if upload is not None:
            if not upload.data:
                raise bad("file must be non-empty")
            if len(upload.data) > MAX_UPLOAD_BYTES:
                raise ApiError(413, "Request Entity Too Large")
            mime = upload.content_type
            if not mime or mime == "application/octet-stream":
                mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
            if folder == "photos":
                mime = _image_mime(upload.data)
            return self.store(upload.data, upload.filename or "file", mime, folder)
        if not value:
            raise bad(f"there is no {name} in the request")
        if value.startswith(("http://", "https://")):
            raise bad("wrong file identifier/HTTP URL specified (the emulator has no network)")
        stored = self.get(value)
        if stored is None:
            raise bad("wrong file identifier/HTTP URL specified")
        return stored

    async def _send_document(self, call: Call) -> dict[str, Any]:
        stored = self._input_file(call, "document", "documents")
        return await self._send_file(call, stored, kind="document")

    async def _send_photo(self, call: Call) -> dict[str, Any]:
        stored = self._input_file(call, "photo", "photos")
        kind = stored.file_path.partition("/")[0]
        if kind != "photos":
            raise bad(f"can't use file of type {_FILE_TYPES.get(kind, 'Document')} as Photo")
        return await self._send_file(call, stored, kind="photo")

    async def _send_file(self, call: Call, stored: StoredFile, *, kind: str) -> dict[str, Any]:
        user = call.require_user()
        chats = self._emu.chats
        raw = call.str_opt("caption") or ""
        plain, entities, parse_mode = chats.format(call, raw, caption=True)
        markup = parse_markup(call, inline_only=False)
        reply_to = chats.reply_to(call, user)
        width = height = None
        if kind == "photo":
            # A user's photo was accepted by the app already; only uploads must decode.
            width, height = image_size(stored.data) or (800, 800)
        message = SentMessage(
            message_id=chats.next_message_id(user.id),
            chat_id=user.id,
            date=self._emu.date(),
            text=plain,
            html=raw or None,
            entities=entities,
            reply_markup=markup,
            parse_mode=parse_mode,
            kind=kind,
            filename=stored.filename,
            document=stored.data,
            mime_type=stored.mime_type,
            file_id=stored.file_id,
            file_unique_id=stored.file_unique_id,
            reply_to_message_id=reply_to,
            sender=self._emu.bot_user(call.token),
            width=width,
            height=height,
        )
        return await chats.sent(message, user)

    async def _get_file(self, call: Call) -> dict[str, Any]:
        file_id = call.str_req("file_id", "file_id is empty")
        stored = self.get(file_id)
        if stored is None:
            raise bad("invalid file_id")
        if len(stored.data) > MAX_DOWNLOAD_BYTES:
            raise bad("file is too big")
        return {
            "file_id": file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": len(stored.data),
            "file_path": stored.file_path,
        }


def _image_mime(data: bytes) -> str:
    """The MIME type of an uploaded photo; Telegram's error if it is no PNG, JPEG or WebP."""
    size = image_size(data)
    if size is None:
        raise bad("IMAGE_PROCESS_FAILED")
    width, height = size
    if (
        min(width, height) < 1
        or width + height > _MAX_PHOTO_SIDES
        or max(width, height) > _MAX_PHOTO_RATIO * min(width, height)
    ):
        raise bad("PHOTO_INVALID_DIMENSIONS")
    if data.startswith(b"\x89PNG"):
        return "image/png"
    if data.startswith(b"\xff\xd8"):
        return "image/jpeg"
    return "image/webp"


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG or WebP image from its header; ``None`` for anything else.

    Only the header is read: enough to tell an image from another file, as Telegram's
    ``IMAGE_PROCESS_FAILED`` does, without an imaging library.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data.startswith(b"\xff\xd8\xff"):
        return _jpeg_size(data)
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP" and len(data) >= 30:
        return _webp_size(data)
    return None


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    i = 2
    while i + 9 <= len(data):
        if data[i] != 0xFF:
            return None
        marker = data[i + 1]
        if marker == 0xFF:  # fill byte
            i += 1
            continue
        if marker in _JPEG_SOF:
            height, width = struct.unpack(">HH", data[i + 5 : i + 9])
            return int(width), int(height)
        if marker == 0x01 or 0xD0 <= marker <= 0xD8:  # markers without a length
            i += 2
            continue
        (length,) = struct.unpack(">H", data[i + 2 : i + 4])
        i += 2 + int(length)
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return int(width) & 0x3FFF, int(height) & 0x3FFF
    if chunk == b"VP8L" and data[20] == 0x2F and len(data) >= 25:
        (bits,) = struct.unpack("<I", data[21:25])
        return (int(bits) & 0x3FFF) + 1, ((int(bits) >> 14) & 0x3FFF) + 1
    if chunk == b"VP8X":
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return width, height
    return None
