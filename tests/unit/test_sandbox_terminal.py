"""The sandbox's terminal rendering of Telegram messages and keyboards."""

from __future__ import annotations

import io

import pytest

from bot.sandbox.terminal import format_buttons, render_entities, render_html, wants_color

HTML = (
    '<b>Vet <i>en schuin</i></b> 🤖 <a href="https://www.vigc.be/kmo">onze site</a>, '
    "<u>onder</u>, <s>weg</s> en <code>DV.O101579</code> &amp; klaar"
)


def test_plain_text_is_telegrams_text_with_link_addresses() -> None:
    assert render_html(HTML, color=False) == (
        "Vet en schuin 🤖 onze site (https://www.vigc.be/kmo), onder, weg en DV.O101579 & klaar"
    )


def test_colour_styles_nest_and_reset() -> None:
    assert render_html(HTML, color=True) == (
        "\033[1mVet \033[0m\033[1;3men schuin\033[0m 🤖 "
        "\033[4monze site\033[0m\033[2m (https://www.vigc.be/kmo)\033[0m, "
        "\033[4monder\033[0m, \033[9mweg\033[0m en \033[7mDV.O101579\033[0m & klaar"
    )


def test_offsets_are_utf16_like_the_bot_api() -> None:
    # 🤖 is two UTF-16 code units: the bold entity starts at 3, not at 2.
    entities = [{"type": "bold", "offset": 3, "length": 3}]
    assert render_entities("🤖 Hoi!", entities, color=True) == "🤖 \033[1mHoi\033[0m!"


def test_a_link_whose_text_is_its_address_is_not_repeated() -> None:
    url = "https://www.kmo-portefeuille.be"
    html = f'Zie <a href="{url}">{url}</a>.'
    assert render_html(html, color=False) == f"Zie {url}."


def test_a_link_inside_bold_keeps_the_bold_after_the_address() -> None:
    html = '<b>Lees <a href="https://x.be">dit</a> nu</b>'
    assert render_html(html, color=True) == (
        "\033[1mLees \033[0m\033[1;4mdit\033[0m\033[2m (https://x.be)\033[0m\033[1m nu\033[0m"
    )


def test_buttons_are_numbered_from_one_on_one_line_when_they_fit() -> None:
    rows = [
        [{"text": "Opleiding", "callback_data": "svc:opleiding"}],
        [{"text": "Advies", "callback_data": "svc:advies"}],
    ]
    assert format_buttons(rows, color=False) == ["[1] Opleiding  [2] Advies"]
    assert format_buttons(rows, color=True) == [
        "\033[1m[1]\033[0m Opleiding  \033[1m[2]\033[0m Advies"
    ]
    assert format_buttons([], color=False) == []


def test_long_keyboards_get_a_line_per_row_and_links_show_their_address() -> None:
    rows = [
        [{"text": "📝 Nieuwe aanvraag", "callback_data": "a"}],
        [{"text": "🪪 Registreren op kmo-portefeuille.be", "callback_data": "b"}],
        [
            {"text": "Site", "url": "https://www.vigc.be"},
            {"text": "❓ Hulp", "callback_data": "c"},
        ],
    ]
    assert format_buttons(rows, color=False) == [
        "[1] 📝 Nieuwe aanvraag",
        "[2] 🪪 Registreren op kmo-portefeuille.be",
        "[3] Site (https://www.vigc.be)  [4] ❓ Hulp",
    ]


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize(
    ("stream", "environ", "expected"),
    [
        (_Tty(), {}, True),
        (_Tty(), {"NO_COLOR": "1"}, False),
        (_Tty(), {"NO_COLOR": ""}, True),  # no-color.org: only a non-empty value counts
        (_Tty(), {"TERM": "dumb"}, False),
        (io.StringIO(), {}, False),  # a pipe or a file
    ],
)
def test_colour_only_on_a_terminal_without_no_color(
    stream: io.StringIO, environ: dict[str, str], expected: bool
) -> None:
    assert wants_color(stream, environ) is expected
