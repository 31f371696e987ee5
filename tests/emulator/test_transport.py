"""Raw HTTP: JSON, form-urlencoded and multipart bodies, GET, error shapes."""

from __future__ import annotations

import json

import aiohttp

from bot.emulator import BotApiEmulator

from .conftest import CHAT, TOKEN


async def test_json_body_and_error_shape(emu: BotApiEmulator) -> None:
    url = f"{emu.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:
        markup = {"inline_keyboard": [[{"text": "Ja", "callback_data": "j"}]]}
        async with http.post(
            f"{url}/sendMessage",
            json={
                "chat_id": CHAT,
                "text": "<b>hoi</b>",
                "parse_mode": "HTML",
                "reply_markup": markup,
            },
        ) as resp:
            body = await resp.json()
        assert body["ok"]
        assert body["result"]["reply_markup"] == markup
        async with http.post(
            f"{url}/sendMessage", json={"chat_id": CHAT, "text": "a & b", "parse_mode": "HTML"}
        ) as resp:
            assert resp.status == 400
            body = await resp.json()
        assert body["ok"] is False
        assert body["error_code"] == 400
        assert body["description"].startswith("Bad Request: can't parse entities: ")
        async with http.post(f"{url}/sendMessage", json={"chat_id": CHAT}) as resp:
            assert (await resp.json())["description"] == "Bad Request: message text is empty"
        async with http.post(
            f"{url}/sendChatAction", json={"chat_id": CHAT, "action": "dancing"}
        ) as resp:
            body = await resp.json()
        assert body["description"] == "Bad Request: wrong parameter action in request"
        async with http.post(f"{url}/nope", json={}) as resp:
            assert resp.status == 404
            assert await resp.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{emu.base_url}bad/getMe") as resp:
            assert resp.status == 401
            assert (await resp.json())["description"] == "Unauthorized"


async def test_form_and_get_and_case_insensitive_method(emu: BotApiEmulator) -> None:
    url = f"{emu.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http:
        form = {
            "chat_id": str(CHAT),
            "text": "form",
            "reply_markup": json.dumps({"keyboard": [["Ja"]], "resize_keyboard": True}),
        }
        async with http.post(f"{url}/sendmessage", data=form) as resp:
            assert (await resp.json())["ok"]
        async with http.get(
            f"{url}/sendMessage", params={"chat_id": str(CHAT), "text": "via GET"}
        ) as resp:
            assert (await resp.json())["result"]["text"] == "via GET"
        async with http.post(
            f"{url}/sendMessage",
            data={
                "chat_id": str(CHAT),
                "text": "x",
                "reply_markup": "{kapot",
            },
        ) as resp:
            assert (await resp.json())["description"] == (
                "Bad Request: can't parse reply keyboard markup JSON object"
            )
    assert [m.text for m in emu.user(CHAT).messages] == ["form", "via GET"]
    assert emu.user(CHAT).messages[0].buttons == ["Ja"]


async def test_multipart_with_attach_reference(emu: BotApiEmulator) -> None:
    url = f"{emu.base_url}{TOKEN}"
    form = aiohttp.FormData()
    form.add_field("chat_id", str(CHAT))
    form.add_field("document", "attach://bestand")
    form.add_field("caption", "bijlage")
    form.add_field(
        "reply_markup", json.dumps({"inline_keyboard": [[{"text": "Ok", "callback_data": "ok"}]]})
    )
    form.add_field("bestand", b"inhoud", filename="brief.txt", content_type="text/plain")
    async with (
        aiohttp.ClientSession() as http,
        http.post(f"{url}/sendDocument", data=form) as resp,
    ):
        body = await resp.json()
    assert body["ok"], body
    assert body["result"]["document"]["file_name"] == "brief.txt"
    sent = emu.user(CHAT).last
    assert (sent.document, sent.caption, sent.buttons) == (b"inhoud", "bijlage", ["Ok"])


async def test_delay_and_requests_log(emu: BotApiEmulator) -> None:
    emu.delay = 0.05
    url = f"{emu.base_url}{TOKEN}"
    async with aiohttp.ClientSession() as http, http.post(f"{url}/getMe") as resp:
        assert (await resp.json())["result"]["is_bot"]
    assert emu.requests[-1].method == "getMe"
    assert emu.stats.requests["getMe"] == 1
