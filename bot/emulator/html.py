"""Telegram's HTML parse mode, reimplemented after tdlib's ``parse_html``.

``parse_telegram_html`` turns the ``text`` of a ``sendMessage`` call with ``parse_mode=HTML``
into the plain text and the Bot API entities Telegram would store, and raises ``HtmlError``
where Telegram answers ``400 Bad Request: can't parse entities: ...``.

Strict mode (the default) is deliberately a little stricter than the real server: tdlib keeps a
bare ``&`` (and an unknown ``&name;``) literally and accepts entities without the trailing
``;``, and it silently drops an ``<a>`` without a usable ``href``. The Bot API documentation
nevertheless requires every ``&`` outside an entity to be escaped, so the emulator rejects
those, which catches unescaped user input early. ``strict=False`` mimics tdlib instead.

Offsets and lengths of the returned entities are in UTF-16 code units, like the Bot API's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["HtmlError", "parse_telegram_html", "utf16_len"]

_SPACES = " \t\n\r\f\v"

_SIMPLE_TAGS: dict[str, str] = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
_SUPPORTED_TAGS = frozenset(
    [*_SIMPLE_TAGS, "span", "a", "code", "pre", "blockquote", "tg-emoji"],
)
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_MAX_CODE_POINT = 0x10FFFF


class HtmlError(ValueError):
    """The text is not valid Telegram HTML; ``description`` is Telegram's detail message."""

    def __init__(self, description: str) -> None:
        super().__init__(description)
        self.description = description


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units (the unit of Bot API entity offsets)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


@dataclass
class _OpenTag:
    name: str
    begin_byte: int
    offset: int
    argument: str = ""
    expandable: bool = False
    has_href: bool = False
    out_index: int = 0
    seq: int = 0


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


def _is_ascii_alpha(ch: str) -> bool:
    return ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _decode_entity(text: str, pos: int, *, strict: bool) -> tuple[str, int] | None:
    """Decode the character reference starting at ``text[pos] == "&"``.

    Returns the character and the index after the reference, or ``None`` if there is none.
    """
    n = len(text)
    end = pos + 1
    if end < n and text[end] == "#":
        end += 1
        hexadecimal = end < n and text[end] == "x"
        if hexadecimal:
            end += 1
        digits = "0123456789abcdefABCDEF" if hexadecimal else "0123456789"
        start = end
        while end < n and text[end] in digits:
            end += 1
        if end == start or end - start > 8:
            return None
        code = int(text[start:end], 16 if hexadecimal else 10)
        # tdlib's bound check: code points from U+10FFFF up and surrogates are rejected.
        if code == 0 or code >= _MAX_CODE_POINT or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        while end < n and _is_ascii_alpha(text[end]):
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if end < n and text[end] == ";":
        return char, end + 1
    if strict:
        return None
    return char, end


class _Parser:
    def __init__(self, text: str, *, strict: bool) -> None:
        self.text = text
        self.strict = strict
        self.n = len(text)
        self.out: list[str] = []
        self.offset = 0  # UTF-16 offset of the end of the output so far
        self.stack: list[_OpenTag] = []
        self.entities: list[tuple[int, dict[str, Any]]] = []
        self.opened = 0

    def error(self, message: str) -> HtmlError:
        return HtmlError(message)

    def emit(self, chunk: str) -> None:
        if chunk:
            self.out.append(chunk)
            self.offset += utf16_len(chunk)

    def run(self) -> tuple[str, list[dict[str, Any]]]:
        text = self.text
        i = 0
        while i < self.n:
            j = i
            while j < self.n and text[j] not in "&<":
                j += 1
            self.emit(text[i:j])
            i = j
            if i >= self.n:
                break
            i = self.entity(i) if text[i] == "&" else self.tag(i)
        if self.stack:
            raise self.error(
                f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"'
            )
        # Like Telegram: by offset, longer (outer) first, then in order of the start tags.
        ordered = sorted(self.entities, key=lambda p: (p[1]["offset"], -p[1]["length"], p[0]))
        return "".join(self.out), [entity for _, entity in ordered]

    def entity(self, i: int) -> int:
        decoded = _decode_entity(self.text, i, strict=self.strict)
        if decoded is None:
            if self.strict:
                raise self.error(
                    f'Unescaped "&" at byte offset {_byte_offset(self.text, i)}; '
                    'escape it as "&amp;"'
                )
            self.emit("&")
            return i + 1
        char, end = decoded
        self.emit(char)
        return end

    def skip_spaces(self, i: int) -> int:
        while i < self.n and self.text[i] in _SPACES:
            i += 1
        return i

    def tag(self, begin: int) -> int:
        text = self.text
        begin_byte = _byte_offset(text, begin)
        i = begin + 1
        if i < self.n and text[i] == "/":
            return self.end_tag(begin, begin_byte)
        while i < self.n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        if i >= self.n:
            raise self.error(f"Unclosed start tag at byte offset {begin_byte}")
        name = text[begin + 1 : i].lower()
        if name not in _SUPPORTED_TAGS:
            raise self.error(f'Unsupported start tag "{name}" at byte offset {begin_byte}')
        self.opened += 1
        tag = _OpenTag(
            name=name,
            begin_byte=begin_byte,
            offset=self.offset,
            out_index=len(self.out),
            seq=self.opened,
        )
        i = self.attributes(tag, i)
        if name == "span" and tag.argument != "spoiler":
            raise self.error(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_byte}'
            )
        if name == "a" and not tag.argument and (self.strict or tag.has_href):
            raise self.error(f'Tag "a" must have a non-empty "href" at byte offset {begin_byte}')
        if name == "tg-emoji" and not tag.argument:
            raise self.error(
                f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {begin_byte}'
            )
        self.stack.append(tag)
        return i + 1  # skip ">"

    def attributes(self, tag: _OpenTag, i: int) -> int:  # noqa: PLR0912
        text = self.text
        while True:
            i = self.skip_spaces(i)
            if i >= self.n:
                raise self.error(f"Unclosed start tag at byte offset {tag.begin_byte}")
            if text[i] == ">":
                return i
            name_begin = i
            while i < self.n and text[i] not in _SPACES and text[i] not in "=>":
                i += 1
            attribute = text[name_begin:i].lower()
            if not attribute:
                raise self.error(
                    f'Empty attribute name in the tag "{tag.name}" at byte offset {tag.begin_byte}'
                )
            i = self.skip_spaces(i)
            if i >= self.n:
                raise self.error(f"Unclosed start tag at byte offset {tag.begin_byte}")
            if text[i] != "=":
                if tag.name == "blockquote" and attribute == "expandable":
                    tag.expandable = True
                    continue
                raise self.error(
                    "Expected equal sign in declaration of an attribute of the tag "
                    f'"{tag.name}" at byte offset {tag.begin_byte}'
                )
            i = self.skip_spaces(i + 1)
            if i >= self.n:
                raise self.error(f"Unclosed start tag at byte offset {tag.begin_byte}")
            value, i = self.attribute_value(i)
            if i >= self.n:
                raise self.error(f"Unclosed start tag at byte offset {tag.begin_byte}")
            if tag.name == "a" and attribute == "href":
                tag.argument = value
                tag.has_href = True
            elif tag.name == "code" and attribute == "class" and value.startswith("language-"):
                tag.argument = value[len("language-") :]
            elif tag.name == "span" and attribute == "class" and value.startswith("tg-"):
                tag.argument = value[len("tg-") :]
            elif tag.name == "tg-emoji" and attribute == "emoji-id":
                tag.argument = value
            elif tag.name == "blockquote" and attribute == "expandable":
                tag.expandable = True

    def attribute_value(self, i: int) -> tuple[str, int]:
        text = self.text
        quote = text[i]
        if quote not in "'\"":
            # A name token: letters, digits, periods and hyphens; not case sensitive.
            begin = i
            while i < self.n and (text[i].isascii() and (text[i].isalnum() or text[i] in ".-")):
                i += 1
            if i < self.n and text[i] not in _SPACES and text[i] != ">":
                raise self.error(
                    f"Unexpected end of name token at byte offset {_byte_offset(text, begin)}"
                )
            return text[begin:i].lower(), i
        i += 1
        value: list[str] = []
        while i < self.n and text[i] != quote:
            if text[i] == "&":
                decoded = _decode_entity(text, i, strict=self.strict)
                if decoded is None:
                    if self.strict:
                        raise self.error(
                            f'Unescaped "&" at byte offset {_byte_offset(text, i)}; '
                            'escape it as "&amp;"'
                        )
                    value.append("&")
                    i += 1
                else:
                    value.append(decoded[0])
                    i = decoded[1]
                continue
            value.append(text[i])
            i += 1
        if i < self.n:
            i += 1  # closing quote
        return "".join(value), i

    def end_tag(self, begin: int, begin_byte: int) -> int:
        text = self.text
        if not self.stack:
            raise self.error(f"Unexpected end tag at byte offset {begin_byte}")
        i = begin + 2
        while i < self.n and text[i] not in _SPACES and text[i] != ">":
            i += 1
        end_name = text[begin + 2 : i].lower()
        i = self.skip_spaces(i)
        if i >= self.n or text[i] != ">":
            raise self.error(f"Unclosed end tag at byte offset {begin_byte}")
        tag = self.stack.pop()
        if end_name and end_name != tag.name:
            raise self.error(
                f'Unmatched end tag at byte offset {begin_byte}, expected "</{tag.name}>", '
                f'found "</{end_name}>"'
            )
        self.close(tag)
        return i + 1

    def close(self, tag: _OpenTag) -> None:
        length = self.offset - tag.offset
        if length <= 0:
            return
        entity: dict[str, Any] = {"offset": tag.offset, "length": length}
        name = tag.name
        if name in _SIMPLE_TAGS or name == "span":
            entity["type"] = _SIMPLE_TAGS.get(name, "spoiler")
        elif name == "a":
            url = tag.argument or "".join(self.out[tag.out_index :])
            if not tag.argument and not url.startswith(("http://", "https://")):
                return  # lenient mode: tdlib uses the text as URL and drops it if not one
            entity.update(type="text_link", url=url)
        elif name == "code":
            entity["type"] = "code"
            if tag.argument:
                entity["language"] = tag.argument
        elif name == "pre":
            entity["type"] = "pre"
            last = self.entities[-1][1] if self.entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == tag.offset
                and last["length"] == length
            ):
                # <pre><code class="language-x">...</code></pre> is one pre entity.
                self.entities.pop()
                if "language" in last:
                    entity["language"] = last["language"]
        elif name == "blockquote":
            entity["type"] = "expandable_blockquote" if tag.expandable else "blockquote"
        else:  # tg-emoji
            entity.update(type="custom_emoji", custom_emoji_id=tag.argument)
        self.entities.append((tag.seq, entity))


def parse_telegram_html(text: str, *, strict: bool = True) -> tuple[str, list[dict[str, Any]]]:
    """Parse Telegram-flavoured HTML into ``(plain_text, entities)``.

    Raises ``HtmlError`` with Telegram's detail message (the part after
    ``Bad Request: can't parse entities: ``) if Telegram would refuse the text.
    """
    return _Parser(text, strict=strict).run()
