"""The one rendering helper: escaping, labels, and Telegram's length rule."""

import pytest

from bot.texts import label, render, visible_length


def test_visible_length_counts_what_telegram_counts() -> None:
    assert visible_length("<b>a &amp; b</b>") == 5
    assert visible_length("🙂") == 2  # UTF-16 code units
    assert visible_length('<a href="https://x.be">x</a>') == 1


def test_user_text_is_escaped_and_labels_are_plain() -> None:
    html = render("contact", contact="<script>alert(1)</script> & co")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; co" in html
    assert label("choice", name="Jansen & Zonen <b>") == "Jansen & Zonen <b>"


def test_too_long_message_fails_with_the_template_name() -> None:
    with pytest.raises(ValueError, match="contact"):
        render("contact", contact="&" * 4100)
