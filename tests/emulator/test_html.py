from __future__ import annotations

import contextlib
import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator import HtmlError, parse_telegram_html, utf16_len


def test_plain_text_has_no_entities() -> None:
    assert parse_telegram_html("hallo wereld") == ("hallo wereld", [])


def test_basic_tags_and_utf16_offsets() -> None:
    text, entities = parse_telegram_html("😀 <b>vet</b> <i>schuin 😀</i> <u>x</u><s>y</s>")
    assert text == "😀 vet schuin 😀 xy"
    assert entities == [
        {"offset": 3, "length": 3, "type": "bold"},
        {"offset": 7, "length": 9, "type": "italic"},
        {"offset": 17, "length": 1, "type": "underline"},
        {"offset": 18, "length": 1, "type": "strikethrough"},
    ]


@pytest.mark.parametrize(
    ("tag", "entity_type"),
    [
        ("strong", "bold"),
        ("em", "italic"),
        ("ins", "underline"),
        ("strike", "strikethrough"),
        ("del", "strikethrough"),
        ("tg-spoiler", "spoiler"),
        ("code", "code"),
        ("pre", "pre"),
        ("blockquote", "blockquote"),
    ],
)
def test_tag_aliases(tag: str, entity_type: str) -> None:
    assert parse_telegram_html(f"<{tag}>x</{tag}>") == (
        "x",
        [{"offset": 0, "length": 1, "type": entity_type}],
    )


def test_attributes() -> None:
    text, entities = parse_telegram_html(
        '<a href="https://vlaio.be/?a=1&amp;b=2">VLAIO</a> '
        '<span class="tg-spoiler">geheim</span> '
        "<blockquote expandable>citaat</blockquote> "
        '<pre><code class="language-python">x = 1</code></pre> '
        '<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>'
    )
    assert text == "VLAIO geheim citaat x = 1 👍"
    assert entities == [
        {"offset": 0, "length": 5, "type": "text_link", "url": "https://vlaio.be/?a=1&b=2"},
        {"offset": 6, "length": 6, "type": "spoiler"},
        {"offset": 13, "length": 6, "type": "expandable_blockquote"},
        {"offset": 20, "length": 5, "type": "pre", "language": "python"},
        {
            "offset": 26,
            "length": 2,
            "type": "custom_emoji",
            "custom_emoji_id": "5368324170671202286",
        },
    ]


def test_nested_entities_outer_first_and_empty_ones_dropped() -> None:
    assert parse_telegram_html("<b><i>x</i></b><u></u>") == (
        "x",
        [{"offset": 0, "length": 1, "type": "bold"}, {"offset": 0, "length": 1, "type": "italic"}],
    )


def test_escaped_markup_is_plain_text() -> None:
    text, entities = parse_telegram_html(
        "&lt;b&gt;Jansen &amp; Zonen&lt;/b&gt; &quot;&#39;&#x1F600;"
    )
    assert text == "<b>Jansen & Zonen</b> \"'😀"
    assert entities == []


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        ("<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("a & b", 'Unescaped "&" at byte offset 2'),
        ("&amp", 'Unescaped "&" at byte offset 0'),
        ("&nbsp;", 'Unescaped "&"'),
        ("&#0;", 'Unescaped "&"'),
        ("&#xD800;", 'Unescaped "&"'),
        ("<foo>x</foo>", 'Unsupported start tag "foo" at byte offset 0'),
        ("<br>", 'Unsupported start tag "br"'),
        ("1 < 2", 'Unsupported start tag "" at byte offset 2'),
        ("x<", "Unclosed start tag at byte offset 1"),
        ("é<b", "Unclosed start tag at byte offset 2"),
        ("<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("x</b>", "Unexpected end tag at byte offset 1"),
        ("<b>x</b", "Unclosed end tag at byte offset 4"),
        ("<a>x</a>", 'Tag "a" must have a non-empty "href"'),
        ('<a href="">x</a>', 'Tag "a" must have a non-empty "href"'),
        ("<a href>x</a>", "Expected equal sign"),
        ("<span>x</span>", 'Tag "span" must have class "tg-spoiler"'),
        ("<tg-emoji>x</tg-emoji>", 'Tag "tg-emoji" must have attribute "emoji-id"'),
        ('<a href="x&y">x</a>', 'Unescaped "&"'),
    ],
)
def test_invalid_html(source: str, detail: str) -> None:
    with pytest.raises(HtmlError) as info:
        parse_telegram_html(source)
    assert detail in info.value.description


def test_lenient_mode_accepts_what_tdlib_accepts() -> None:
    assert parse_telegram_html("a & b &amp c", strict=False) == ("a & b & c", [])
    assert parse_telegram_html("<a>x</a>", strict=False) == ("x", [])
    with pytest.raises(HtmlError):
        parse_telegram_html("<b>x", strict=False)


def test_utf16_len() -> None:
    assert utf16_len("a😀é") == 4


@given(st.text())
def test_arbitrary_text_returns_or_raises_html_error(text: str) -> None:
    try:
        plain, entities = parse_telegram_html(text)
    except HtmlError:
        return
    for entity in entities:
        assert 0 <= entity["offset"] < entity["offset"] + entity["length"] <= utf16_len(plain)


@given(st.text(alphabet=st.sampled_from("<>&;#x/abiu \"'=1😀")))
def test_html_like_text_returns_or_raises_html_error(text: str) -> None:
    with contextlib.suppress(HtmlError):
        parse_telegram_html(text)
    with contextlib.suppress(HtmlError):
        parse_telegram_html(text, strict=False)


@given(st.text())
def test_escaped_text_round_trips(text: str) -> None:
    assert parse_telegram_html(html.escape(text, quote=False)) == (text, [])
    assert parse_telegram_html(html.escape(text, quote=True)) == (text, [])


@given(st.text(min_size=1))
def test_escaped_text_in_a_tag_is_one_entity(text: str) -> None:
    plain, entities = parse_telegram_html(f"<b>{html.escape(text)}</b>")
    assert plain == text
    assert entities == [{"offset": 0, "length": utf16_len(text), "type": "bold"}]
