"""Reading a file someone hands us: bounded in size, checked to be the text its extension says, decoded
(UTF-8, UTF-16 with a BOM, or Shift_JIS, which Japanese Windows editors still write), and HTML turned
into plain text with scripts and styles dropped, since chat shows text, never markup."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from pathlib import Path

# Leading bytes of formats that are never text, so a misnamed file is named for what it is.
MAGIC = (
    (b"PK\x03\x04", "a zip archive (an .apkg or .docx?)"),
    (b"SQLite format 3\x00", "an SQLite database"),
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x28\xb5\x2f\xfd", "a zstd archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document"),
    (b"\x7fELF", "a program"),
)
# What Japanese text is made of beyond ASCII: kana, kanji, Japanese punctuation and full-width forms.
JAPANESE = re.compile(r"[ぁ-ゖァ-ヺー一-龯々〆〇、。「」『』【】〔〕・…‥※○●◎△▲▽▼□■◇◆☆★→←↑↓\u3000\uff01-\uff5e]")
KANA = re.compile(r"[ぁ-ゖァ-ヺ]")


class Refused(Exception):
    """The whole file is refused; the message says why and what to do."""


def read_bytes(path: Path, max_bytes: int) -> bytes:
    """At most max_bytes: a bigger file is refused without being read whole."""
    if not path.is_file():
        raise Refused("not a file" if not path.exists() else "not a regular file")
    try:
        with path.open("rb") as f:
            raw = f.read(max_bytes + 1)
    except OSError as exc:
        raise Refused(f"cannot be read: {exc.strerror or type(exc).__name__}") from exc
    if len(raw) > max_bytes:
        raise Refused(f"larger than {max_bytes / 1_000_000:g} MB; split it into smaller files")
    return raw


def decode(raw: bytes) -> tuple[str, str]:
    """(text, how it was read). UTF-8 first (with or without a BOM); UTF-16 only with its BOM;
    then Shift_JIS (cp932, Windows' variant), accepted only when the result reads as Japanese, so
    random bytes are refused instead of turned into mojibake."""
    for magic, what in MAGIC:
        if raw.startswith(magic):
            raise Refused(f"not text: this is {what}")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return raw.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError as exc:
            raise Refused(f"broken UTF-16 at byte {exc.start}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as utf8_error:
        try:
            text = raw.decode("cp932")
        except UnicodeDecodeError:
            raise Refused(
                f"not UTF-8 (invalid byte at offset {utf8_error.start}) nor Shift_JIS; save it as UTF-8"
            ) from None
        letters = [c for c in text if not c.isascii()]
        # Other 8-bit text (Latin-1, cp1252) often decodes as cp932 too, into stray kanji and half-width
        # katakana; real Japanese has kana and little else beyond ASCII.
        if not KANA.search(text) or len(JAPANESE.findall(text)) < 0.95 * len(letters):
            raise Refused(f"not UTF-8 (invalid byte at offset {utf8_error.start}); save it as UTF-8") from None
        _no_binary(text)
        return text, "Shift_JIS"
    _no_binary(text)
    return text, "UTF-8"


def _no_binary(text: str) -> None:
    if "\x00" in text:
        raise Refused("not text: it holds NUL bytes (a binary file with a text extension?)")


def read_text(path: Path, max_bytes: int) -> tuple[str, str]:
    """The file's text and how it was decoded; Refused with a clear reason otherwise. Line ends become
    \\n, so line numbers mean the same in every editor."""
    text, how = decode(read_bytes(path, max_bytes))
    return text.replace("\r\n", "\n").replace("\r", "\n"), how


# What no chat shows and YAML refuses raw: control characters (but line breaks and tabs), lone
# surrogates, byte-order marks and non-characters.
INVISIBLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufeff\ufffe\uffff]")


def clean(value: object) -> object:
    """The same value with every text in it cleaned: line ends as \n, invisible characters removed."""
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
        return INVISIBLE.sub("", text)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


class _TextExtractor(HTMLParser):
    """Text of an HTML fragment: block elements and <br> become line breaks, list items bullets;
    <script>, <style> and similar are dropped with everything inside them."""

    DROPPED = frozenset({"script", "style", "template", "iframe", "object", "embed", "noscript", "svg", "math"})
    BREAKS = frozenset({"br", "p", "div", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "details", "summary", "hr"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.dropping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.DROPPED:
            self.dropping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.DROPPED:
            self.dropping = max(0, self.dropping - 1)
        elif tag in self.BREAKS or tag in ("ul", "ol"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.parts.append(data)


def html_to_text(fragment: str) -> str:
    """Plain text of an HTML fragment (an Anki field, inline HTML in Markdown): tags gone, entities
    decoded, scripts and styles dropped, runs of blank lines folded to one."""
    if "<" not in fragment and "&" not in fragment:
        return fragment.strip()
    parser = _TextExtractor()
    parser.feed(fragment)
    parser.close()
    text = html.unescape("".join(parser.parts)).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
