"""The error object of Discord's 50035 "Invalid Form Body" and the small checks every rule module builds on.

Discord answers a body it refuses with HTTP 400 and a JSON object whose ``errors`` mirror the shape of the
request: one nested object per key or list index, and at the offending spot a leaf ``{"_errors": [...]}``
listing ``code`` and ``message``. discord.py turns that into the text of ``HTTPException``, so keeping the same
shape lets a test read the same message a developer would see against real Discord.

Source: docs/reference.mdx, "Error Messages" (the "Array Error", "Object Error" and "Request Error" examples).

Error codes: where the docs or public bug reports show the code Discord uses, that code is used and the
comment beside the rule says where it was seen. Other codes are descriptive upper-case names of our own,
marked "approximated" beside the rule; tests should assert on the path first, the code second.
"""

from __future__ import annotations

from typing import Any

Path = list[str | int]

# Interaction context types and integration types.
# docs/interactions/receiving-and-responding.mdx, "Interaction Context Types";
# docs/interactions/application-commands.mdx, "Application Command Structure" (integration_types, contexts).
INTERACTION_CONTEXTS = frozenset({0, 1, 2})
INTEGRATION_TYPES = frozenset({0, 1})

# The locales Discord accepts as keys of name_localizations / description_localizations.
# docs/reference.mdx, "Locales".
LOCALES = frozenset(
    {
        "id",
        "da",
        "de",
        "en-GB",
        "en-US",
        "es-ES",
        "es-419",
        "fr",
        "hr",
        "it",
        "lt",
        "hu",
        "nl",
        "no",
        "pl",
        "pt-BR",
        "ro",
        "fi",
        "sv-SE",
        "vi",
        "tr",
        "cs",
        "el",
        "bg",
        "ru",
        "uk",
        "hi",
        "th",
        "zh-CN",
        "ja",
        "zh-TW",
        "ko",
    }
)


class FormErrors:
    """Collects the nested ``errors`` object of a 50035 answer, so one request can report every broken field.

    Discord reports all the problems of a body at once, not only the first; a fake that stopped at the first
    would hide the second bug until the first is fixed.
    """

    def __init__(self) -> None:
        self.errors: dict[str, Any] = {}

    def add(self, path: Path, code: str, message: str) -> None:
        """Record one error at ``path`` (keys and list indexes from the body's root, e.g. ``[0, "options", 2]``)."""
        node = self.errors
        for key in path:
            node = node.setdefault(str(key), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def __bool__(self) -> bool:
        return bool(self.errors)

    def body(self) -> dict[str, Any]:
        """The JSON body Discord sends with HTTP 400. docs/reference.mdx, "Error Messages"."""
        return {"code": 50035, "message": "Invalid Form Body", "errors": self.errors}


# ----------------------------------------------------------------------------------------------------------
# Building blocks. Each returns the value when it has the expected type (so callers can go on checking inside
# it) and None otherwise, after recording why.
# ----------------------------------------------------------------------------------------------------------


def required(errors: FormErrors, path: Path) -> None:
    # Observed code and wording: docs/reference.mdx, "Error Messages" ("Object Error" example).
    errors.add(path, "BASE_TYPE_REQUIRED", "This field is required")


def length(errors: FormErrors, path: Path, size: int, lo: int, hi: int) -> bool:
    """A length within ``lo..hi``; Discord words a two-sided range differently from a maximum alone.

    BASE_TYPE_BAD_LENGTH ("Must be between 1 and 32 in length.") and BASE_TYPE_MAX_LENGTH ("Must be 2000 or
    fewer in length.") are the codes seen in Discord's answers quoted in public bug reports (e.g.
    discordjs/guide#1236 for ``data.choices``); BASE_TYPE_MIN_LENGTH is their approximated counterpart.
    """
    if lo <= size <= hi:
        return True
    if lo > 0:
        errors.add(path, "BASE_TYPE_BAD_LENGTH", f"Must be between {lo} and {hi} in length.")
    elif size > hi:
        errors.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {hi} or fewer in length.")
    else:
        errors.add(path, "BASE_TYPE_MIN_LENGTH", f"Must be {lo} or more in length.")
    return False


def text(
    errors: FormErrors, path: Path, value: object, lo: int, hi: int, *, optional: bool = False, strip: bool = False
) -> str | None:
    """A string whose length lies in ``lo..hi``; ``optional`` lets it be absent or null.

    ``strip`` measures the text without leading and trailing whitespace, as Discord does for embeds.
    """
    if value is None:
        if not optional:
            required(errors, path)
        return None
    if not isinstance(value, str):
        # Approximated: Discord's wording for a value of the wrong type is not documented.
        errors.add(path, "BASE_TYPE_STRING", "Must be a string.")
        return None
    length(errors, path, len(value.strip() if strip else value), lo, hi)
    return value


def array(errors: FormErrors, path: Path, value: object, lo: int, hi: int, *, optional: bool = True) -> list[Any]:
    """A JSON list of ``lo..hi`` items; absent or null counts as empty when ``optional``."""
    if value is None:
        if not optional:
            required(errors, path)
        return []
    if not isinstance(value, list):
        # Approximated from answers seen in practice ("Only iterables may be used in a ListType"); undocumented.
        errors.add(path, "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return []
    length(errors, path, len(value), lo, hi)
    return value


def obj(errors: FormErrors, path: Path, value: object) -> dict[str, Any] | None:
    """A JSON object; anything else is refused, because every rule below reads keys out of it."""
    if isinstance(value, dict):
        return value
    # Approximated from answers seen in practice ("Only dictionaries may be used in a ModelType"); undocumented.
    errors.add(path, "MODEL_TYPE_CONVERT", "Only dictionaries may be used in a ModelType")
    return None


def integer(errors: FormErrors, path: Path, value: object, lo: int, hi: int) -> int | None:
    """An integer (JSON booleans excluded, though Python counts them as ints) within ``lo..hi``."""
    if isinstance(value, bool) or not isinstance(value, int):
        # Approximated: code and wording for a non-integer are not documented.
        errors.add(path, "NUMBER_TYPE_COERCE", f"Value {value!r} is not int.")
        return None
    if value < lo:
        # Approximated wording of Discord's lower and upper bound errors.
        errors.add(path, "NUMBER_TYPE_MIN", f"int value should be greater than or equal to {lo}.")
        return None
    if value > hi:
        errors.add(path, "NUMBER_TYPE_MAX", f"int value should be less than or equal to {hi}.")
        return None
    return value


def number(errors: FormErrors, path: Path, value: object, lo: float, hi: float, *, whole: bool) -> float | None:
    """An integer (``whole``) or a double within ``lo..hi``, the value rule of INTEGER and NUMBER options."""
    if whole:
        return integer(errors, path, value, int(lo), int(hi))
    if isinstance(value, bool) or not isinstance(value, int | float):
        # Approximated, as for integers.
        errors.add(path, "NUMBER_TYPE_COERCE", f"Value {value!r} is not a number.")
        return None
    if not lo <= value <= hi:
        # Approximated, as for integers.
        errors.add(path, "NUMBER_TYPE_MAX" if value > hi else "NUMBER_TYPE_MIN", f"Value must be within {lo} and {hi}.")
        return None
    return float(value)


def one_of(errors: FormErrors, path: Path, value: object, allowed: frozenset[Any] | set[Any]) -> bool:
    """``value`` is one of ``allowed``. Code and wording: docs/reference.mdx, "Error Messages" ("Array Error")."""
    if not isinstance(value, bool | list | dict) and value in allowed:
        return True
    choices = ", ".join(repr(a) for a in sorted(allowed, key=str))
    errors.add(path, "BASE_TYPE_CHOICES", f"Value must be one of ({choices}).")
    return False
