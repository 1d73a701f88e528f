"""Fields that may hold HTML (Anki notes, Anki text exports, CSV cells) as plain text, and back.

The bank holds plain text; bot.importing.text.html_to_text drops the markup (scripts and styles with their
content, attributes, images). What this module adds is when to call it: a CSV cell is HTML only when it
holds a real HTML element, so AWS text such as `AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>` or
`<IMAGE1_NAME>` stays as written; and Anki's [sound:...] references, which are not text either.
"""

from __future__ import annotations

import html
import re

from .text import html_to_text

_TAG_NAMES = frozenset(
    "a abbr address area article aside audio b base bdi bdo big blockquote body br button canvas caption center "
    "cite code col colgroup data dd del details dfn div dl dt em embed fieldset figcaption figure font footer form "
    "h1 h2 h3 h4 h5 h6 head header hr html i iframe img input ins kbd label legend li link main map mark math meta "
    "nav noscript object ol optgroup option output p picture pre progress q rp rt ruby s samp script section "
    "select small source span strike strong style sub summary sup svg table tbody td template textarea tfoot th "
    "thead title tr track tt u ul var video wbr".split()
)
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9]*)(?=[\s/>])")
_SOUND = re.compile(r"\[sound:[^\]]*\]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b\ufeff]")


def looks_like_html(text: str) -> bool:
    """True when the text holds a real HTML element tag (not just a < sign or a <Placeholder>)."""
    return "<" in text and any(m.group(1).lower() in _TAG_NAMES for m in _TAG.finditer(text))


def field_text(text: str, is_html: bool | None) -> str:
    """A field as plain text: converted from HTML when the source says its fields are HTML (True), or,
    when it does not say (None), when the field holds real HTML tags; otherwise kept as written."""
    if is_html or (is_html is None and looks_like_html(text)):
        text = html_to_text(_SOUND.sub("", text))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROL.sub("", text).strip()


def text_to_html(text: str) -> str:
    """Plain text as an Anki field: escaped, with its line breaks kept as <br>."""
    return html.escape(text, quote=False).replace("\n", "<br>")
