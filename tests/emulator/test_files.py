"""Files users send (getFile, downloads), photos the bot sends, getMe and deep links."""

from __future__ import annotations

import struct

import aiohttp
import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, RetryAfter

from bot.emulator import BotApiEmulator
from bot.emulator.files import image_size

from .conftest import CHAT, TOKEN

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def png(width: int, height: int) -> bytes:
    """The start of a PNG: signature and IHDR (all Telegram's check in the emulator reads)."""
    ihdr = struct.pack(">II", width, height) + bytes([8, 6, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + ihdr + bytes(4)


def jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00" + bytes(9)
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + bytes(3)
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


def webp(width: int, height: int) -> bytes:
    vp8x = b"VP8X" + struct.pack("<I", 10) + bytes(4)
    vp8x += (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def test_image_sizes_from_headers() -> None:
    assert image_size(PNG) == (1, 1)
    assert image_size(png(640, 480)) == (640, 480)
    assert image_size(jpeg(1024, 768)) == (1024, 768)
    assert image_size(webp(300, 200)) == (300, 200)
    assert image_size(b"%PDF-1.4") is None
    assert image_size(b"\xff\xd8\xff") is None  # JPEG magic, but no frame header
    assert image_size(b"RIFF" + bytes(40)) is None


# -- what users send ------------------------------------------------------------------------


async def test_get_file_and_the_download_url(bot: Bot, emu: BotApiEmulator) -> None:
    content = b"%PDF-1.4 offerte"
    await emu.user(CHAT).send_document(content, "offerte.pdf", "application/pdf", caption="hier")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.caption == "hier"
    document = update.message.document
    assert document is not None
    assert (document.file_name, document.mime_type) == ("offerte.pdf", "application/pdf")
    file = await bot.get_file(document.file_id)
    assert file.file_size == len(content)
    assert file.file_path is not None
    assert file.file_path.startswith(f"{emu.base_file_url}{TOKEN}/documents/")
    assert bytes(await file.download_as_bytearray()) == content

    path = file.file_path.removeprefix(f"{emu.base_file_url}{TOKEN}/")
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{emu.base_file_url}{TOKEN}/{path}") as resp:
            assert resp.status == 200
            assert resp.content_type == "application/pdf"
            assert await resp.read() == content
        async with http.get(f"{emu.base_file_url}123:wrong/{path}") as resp:
            assert resp.status == 401
        async with http.get(f"{emu.base_file_url}{TOKEN}/documents/nope.pdf") as resp:
            assert resp.status == 404


async def test_files_over_20_mb_cannot_be_fetched(bot: Bot, emu: BotApiEmulator) -> None:
    await emu.user(CHAT).send_document(bytes(20 * 1024 * 1024 + 1), "groot.bin")
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.document is not None
    with pytest.raises(BadRequest, match="File is too big"):
        await bot.get_file(update.message.document.file_id)
    with pytest.raises(BadRequest, match="Invalid file_id"):
        await bot.get_file("nope")


# -- photos the bot sends ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "mime", "size"),
    [(PNG, "image/png", (1, 1)), (jpeg(1280, 720), "image/jpeg", (1280, 720))],
)
async def test_send_photo_upload(
    bot: Bot, emu: BotApiEmulator, data: bytes, mime: str, size: tuple[int, int]
) -> None:
    message = await bot.send_photo(
        CHAT, data, caption="<b>Je</b> bewijsstuk", parse_mode="HTML", filename="bewijs"
    )
    assert message.caption == "Je bewijsstuk"
    assert [e.type for e in message.caption_entities] == ["bold"]
    biggest = message.photo[-1]
    assert (biggest.width, biggest.height) == size
    assert biggest.file_size == len(data)
    sent = emu.user(CHAT).last
    assert (sent.kind, sent.photo, sent.document, sent.mime_type) == ("photo", data, data, mime)
    assert sent.html == "<b>Je</b> bewijsstuk"
    assert sent.to_json()["kind"] == "photo"
    file = await bot.get_file(biggest.file_id)
    assert file.file_path is not None
    assert "/photos/" in file.file_path
    assert bytes(await file.download_as_bytearray()) == data


async def test_send_photo_webp_and_by_file_id(bot: Bot, emu: BotApiEmulator) -> None:
    first = await bot.send_photo(CHAT, webp(300, 200))
    again = await bot.send_photo(CHAT, first.photo[-1].file_id, caption="nog eens")
    assert again.photo[-1].file_id == first.photo[-1].file_id
    assert (again.photo[-1].width, again.photo[-1].height) == (300, 200)
    assert emu.user(CHAT).last.photo == webp(300, 200)
    assert emu.user(CHAT).last.mime_type == "image/webp"


async def test_a_users_photo_can_be_sent_on(bot: Bot, emu: BotApiEmulator) -> None:
    staff = emu.user(900, "Els")
    await emu.user(CHAT).send_photo(caption="factuur")
    [update] = await bot.get_updates()
    assert update.message is not None
    for size in update.message.photo:  # every size, the small one too
        forwarded = await bot.send_photo(staff.id, size.file_id, caption="van Jan")
        assert forwarded.caption == "van Jan"
    assert [m.photo for m in staff.messages] == [PNG, PNG]


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"%PDF-1.4 geen foto", "Image_process_failed"),
        (b"GIF89a\x01\x00\x01\x00", "Image_process_failed"),
        (png(9000, 2000), "Photo_invalid_dimensions"),
        (png(2100, 100), "Photo_invalid_dimensions"),
    ],
)
async def test_uploads_that_are_no_usable_image_are_refused(
    bot: Bot, emu: BotApiEmulator, data: bytes, error: str
) -> None:
    with pytest.raises(BadRequest, match=error):
        await bot.send_photo(CHAT, data)
    assert emu.user(CHAT).messages == []


async def test_send_photo_checks_like_send_document(bot: Bot, emu: BotApiEmulator) -> None:
    with pytest.raises(BadRequest, match="Message caption is too long"):
        await bot.send_photo(CHAT, PNG, caption="x" * 1025)
    await bot.send_photo(CHAT, PNG, caption="x" * 1024)
    with pytest.raises(BadRequest, match="Can't parse entities"):
        await bot.send_photo(CHAT, PNG, caption="<b>x", parse_mode="HTML")
    with pytest.raises(BadRequest, match="Wrong file identifier"):
        await bot.send_photo(CHAT, "no-such-file-id")
    with pytest.raises(BadRequest, match="Chat not found"):
        await bot.send_photo(999, PNG)
    document = await bot.send_document(CHAT, b"tekst", filename="a.txt")
    assert document.document is not None
    with pytest.raises(BadRequest, match=r"(?i)can't use file of type document as photo"):
        await bot.send_photo(CHAT, document.document.file_id)


async def test_send_photo_counts_as_sending(
    bot: Bot, emu: BotApiEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    emu.per_chat_rate_limit = 1
    await bot.send_photo(CHAT, PNG)
    assert emu.stats.sent == 1
    with pytest.raises(RetryAfter):
        await bot.send_photo(CHAT, PNG)


async def test_blocked_user_gets_no_photo(bot: Bot, emu: BotApiEmulator) -> None:
    emu.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_photo(CHAT, PNG)


# -- getMe and deep links ---------------------------------------------------------------------


async def test_get_me_uses_the_configured_username() -> None:
    async with (
        BotApiEmulator(bot_username="kmo_portefeuille_bot", bot_first_name="KMO") as emu,
        Bot(TOKEN, base_url=emu.base_url) as bot,
    ):
        me = await bot.get_me()
        assert (me.username, me.first_name) == ("kmo_portefeuille_bot", "KMO")
        assert bot.username == "kmo_portefeuille_bot"
        assert bot.link == "https://t.me/kmo_portefeuille_bot"


async def test_open_link_sends_start_with_the_payload(bot: Bot, emu: BotApiEmulator) -> None:
    user = emu.user(CHAT)
    message_id = await user.open_link("https://t.me/emulator_bot?start=inv-Ab_9")
    await user.open_link("https://t.me/Emulator_Bot?start=x")  # usernames ignore case
    first, second = await bot.get_updates()
    assert first.message is not None
    assert first.message.message_id == message_id
    assert first.message.text == "/start inv-Ab_9"
    [entity] = first.message.entities
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 6)
    assert second.message is not None
    assert second.message.text == "/start x"


@pytest.mark.parametrize(
    "url",
    [
        "https://t.me/other_bot?start=abc",
        "http://t.me/emulator_bot?start=abc",
        "https://telegram.me/emulator_bot?start=abc",
        "https://t.me/emulator_bot?start=",
        "https://t.me/emulator_bot?start=" + "a" * 65,
        "https://t.me/emulator_bot?start=met spatie",
        "https://t.me/emulator_bot?start=a.b",
        "https://t.me/emulator_bot?start=abc&x=1",
        "https://t.me/emulator_bot?startgroup=abc",
        "https://t.me/emulator_bot",
        "tg://resolve?domain=emulator_bot&start=abc",
    ],
)
async def test_open_link_refuses_other_links(emu: BotApiEmulator, url: str) -> None:
    with pytest.raises(AssertionError):
        await emu.user(CHAT).open_link(url)
    assert emu.pending_updates == 0


async def test_open_link_accepts_the_longest_payload(bot: Bot, emu: BotApiEmulator) -> None:
    await emu.user(CHAT).open_link("https://t.me/emulator_bot?start=" + "a" * 64)
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.text == "/start " + "a" * 64


async def test_open_link_through_the_control_api(bot: Bot, emu: BotApiEmulator) -> None:
    base = f"{emu.url}/_emulator/users/3003/open_link"
    async with aiohttp.ClientSession() as http:
        async with http.post(base, json={"url": "https://t.me/emulator_bot?start=abc"}) as resp:
            assert (await resp.json())["result"]["message_id"] == 1
        async with http.post(base, json={"url": "https://t.me/ander_bot?start=abc"}) as resp:
            assert resp.status == 400
            assert "not to this bot" in (await resp.json())["description"]
    [update] = await bot.get_updates()
    assert update.message is not None
    assert update.message.text == "/start abc"
