"""What Discord refuses in a bulk overwrite of application commands and in autocomplete results.

Our first fake accepted a command upload that real Discord rejected (a name with a space and capitals), so the
bot could not start on Discord while every test passed. These rules are the server-side checks of
``PUT /applications/{app}/commands`` (and its guild variant), written from Discord's documentation; each rule
sits next to the doc page and section it comes from.

Command names are matched with the third-party ``regex`` package (a dev dependency in pyproject.toml) rather
than ``re`` plus hand-made character classes: Discord documents the rule as a regex using the Unicode
properties ``\\p{L}``, ``\\p{N}`` and the script properties ``\\p{sc=Deva}`` and ``\\p{sc=Thai}``. ``re`` has no
``\\p{...}``, and ``unicodedata`` knows categories but not scripts, so the Devanagari and Thai part would have
to be hand-kept code point ranges (which already differ between "script" and "block"). ``regex`` implements
exactly the documented pattern from up-to-date Unicode tables, so the fake tracks the docs word for word.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import regex

from tests.fakes.discord_form import (
    INTEGRATION_TYPES,
    INTERACTION_CONTEXTS,
    LOCALES,
    FormErrors,
    Path,
    array,
    integer,
    number,
    obj,
    one_of,
    required,
    text,
)

# docs/interactions/application-commands.mdx, "Application Command Types".
CHAT_INPUT, USER, MESSAGE, PRIMARY_ENTRY_POINT = 1, 2, 3, 4
COMMAND_TYPES = frozenset({CHAT_INPUT, USER, MESSAGE, PRIMARY_ENTRY_POINT})

# docs/interactions/application-commands.mdx, "Application Command Option Type".
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER = 1, 2, 3, 4
CHANNEL, NUMBER = 7, 10
OPTION_TYPES = frozenset(range(1, 12))
NESTING = frozenset({SUB_COMMAND, SUB_COMMAND_GROUP})

# Value bounds of INTEGER and NUMBER options (and so of their choices and min/max values).
# docs/interactions/application-commands.mdx, "Application Command Option Type" (the Note column).
INTEGER_BOUND = 2**53 - 1
NUMBER_BOUND = 2**53

# docs/interactions/application-commands.mdx, "Application Command Naming": CHAT_INPUT command and option names.
# The docs' pattern is ^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$ with the unicode flag; the apostrophe is in
# the current docs (our issue quoted an older pattern without it). fullmatch() stands in for ^...$ because in
# Python's engines "$" also matches before a trailing newline.
SLASH_NAME = regex.compile(r"[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}")

# docs/interactions/application-commands.mdx, "Registering a Command": how many commands of each type an app
# may have; the same numbers hold per guild, except that a guild has no PRIMARY_ENTRY_POINT command.
MAX_COMMANDS = {CHAT_INPUT: 100, USER: 5, MESSAGE: 5, PRIMARY_ENTRY_POINT: 1}

# docs/interactions/application-commands.mdx, "Slash Commands" (the warning): at most 8000 characters of names,
# descriptions and choice values per command, counting only the longest localization of each field.
MAX_COMMAND_SIZE = 8000

# docs/interactions/application-commands.mdx, "Application Command Option Structure" (Valid Option Types
# column): the fields that only some option types may carry. A field set to an empty or false value is as good
# as absent, which is how discord.py sends them.
FIELD_TYPES: dict[str, frozenset[int]] = {
    "required": OPTION_TYPES - NESTING,
    "choices": frozenset({STRING, INTEGER, NUMBER}),
    "autocomplete": frozenset({STRING, INTEGER, NUMBER}),
    "options": NESTING,
    "channel_types": frozenset({CHANNEL}),
    "min_value": frozenset({INTEGER, NUMBER}),
    "max_value": frozenset({INTEGER, NUMBER}),
    "min_length": frozenset({STRING}),
    "max_length": frozenset({STRING}),
}


def slash_name_ok(name: str) -> bool:
    """A CHAT_INPUT command or option name Discord accepts.

    docs/interactions/application-commands.mdx, "Application Command Naming": the regex, and the lowercase
    variant of every letter that has one (uncased letters, like Japanese, are fine as they are).
    """
    return SLASH_NAME.fullmatch(name) is not None and all(ch == ch.lower() for ch in name)


def check_commands(body: object, errors: FormErrors, *, guild: bool = False) -> None:
    """Check the JSON list of a bulk overwrite (``guild`` for the guild variant of the endpoint).

    docs/interactions/application-commands.mdx, "Bulk Overwrite Global Application Commands": the body is a
    list of application command objects, and it replaces every command of every type.
    """
    if not isinstance(body, list):
        # Approximated code, as in discord_form.array().
        errors.add([], "LIST_TYPE_CONVERT", "Only iterables may be used in a ListType")
        return
    counts: Counter[int] = Counter()
    names: dict[tuple[int, str], int] = {}
    for i, raw in enumerate(body):
        command = obj(errors, [i], raw)
        if command is None:
            continue
        # docs/interactions/application-commands.mdx, "Application Command Structure": type defaults to 1.
        ctype = command.get("type")
        ctype = CHAT_INPUT if ctype is None else ctype
        if not one_of(errors, [i, "type"], ctype, COMMAND_TYPES):
            continue
        counts[ctype] += 1
        if guild and ctype == PRIMARY_ENTRY_POINT:
            # docs/interactions/application-commands.mdx, "Registering a Command": no guild entry point command.
            # Approximated code.
            errors.add([i, "type"], "APPLICATION_COMMAND_TYPE_INVALID", "Entry point commands cannot be guild commands")
        name = _check_command(errors, [i], command, ctype)
        if name is not None:
            # docs/interactions/application-commands.mdx, "Registering a Command": names are unique per type and
            # scope. Code and wording as seen in Discord's answers; the path is approximated.
            if (ctype, name) in names:
                errors.add(
                    [i, "name"], "APPLICATION_COMMANDS_DUPLICATE_NAME", "Application command names must be unique"
                )
            names.setdefault((ctype, name), i)
    for ctype, count in sorted(counts.items()):
        if count > MAX_COMMANDS[ctype]:
            # docs/interactions/application-commands.mdx, "Registering a Command" (the per-type counts).
            # Approximated code and path.
            errors.add(
                [], "APPLICATION_COMMANDS_TOO_MANY", f"At most {MAX_COMMANDS[ctype]} commands of type {ctype} allowed"
            )


def _check_command(errors: FormErrors, at: Path, command: dict[str, Any], ctype: int) -> str | None:
    """One command object: the fields of "Application Command Structure"; returns its name if valid."""
    slash = ctype == CHAT_INPUT
    size = [0]
    name = _name(errors, [*at, "name"], command.get("name"), slash=slash)
    size[0] += _longest(command.get("name"), command.get("name_localizations"))
    _localizations(errors, [*at, "name_localizations"], command.get("name_localizations"), "name", slash)
    description = command.get("description")
    if slash:
        # docs/interactions/application-commands.mdx, "Application Command Structure": description 1-100
        # characters for CHAT_INPUT, localizations under the same rule.
        text(errors, [*at, "description"], description, 1, 100)
        _localizations(
            errors, [*at, "description_localizations"], command.get("description_localizations"), "text", True
        )
        size[0] += _longest(description, command.get("description_localizations"))
        _check_options(errors, at, command.get("options"), "command", size)
        if size[0] > MAX_COMMAND_SIZE:
            # Code and wording: docs/reference.mdx, "Error Messages" ("Request Error" example). That example is a
            # single-command create with the error at the root; here it sits at the command's index.
            errors.add(at, "APPLICATION_COMMAND_TOO_LARGE", f"Command exceeds maximum size ({MAX_COMMAND_SIZE})")
    elif ctype in (USER, MESSAGE):
        # docs/interactions/application-commands.mdx, "User Commands" / "Message Commands": no description on
        # create ("Application Command Structure": an empty string). Approximated code.
        if description not in (None, ""):
            errors.add([*at, "description"], "APPLICATION_COMMAND_DESCRIPTION_INVALID", "Must be empty for this type")
        # "Application Command Structure", options: only CHAT_INPUT commands have options. Approximated code.
        if command.get("options"):
            errors.add([*at, "options"], "APPLICATION_COMMAND_OPTION_FIELD_INVALID", "Only CHAT_INPUT commands")
    else:
        text(errors, [*at, "description"], description, 0, 100, optional=True)
    _check_permissions(errors, [*at, "default_member_permissions"], command.get("default_member_permissions"))
    # docs/interactions/application-commands.mdx, "Application Command Structure" (contexts, integration_types).
    for key, allowed in (("contexts", INTERACTION_CONTEXTS), ("integration_types", INTEGRATION_TYPES)):
        for k, value in enumerate(array(errors, [*at, key], command.get(key), 0, len(allowed))):
            one_of(errors, [*at, key, k], value, allowed)
    return name


def _check_permissions(errors: FormErrors, at: Path, value: object) -> None:
    """default_member_permissions: null, or a permission bit set serialized as a string of digits.

    docs/interactions/application-commands.mdx, "Application Command Structure" (``?string``) and "Using
    Default Permissions". A non-negative integer is accepted too: discord.py 2.7.1 sends the bit set as an int
    (``Permissions.value``) and real Discord takes it, so refusing it would break a working bot.
    """
    if value is None or (isinstance(value, str) and value.isascii() and value.isdigit()):
        return
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return
    # Approximated code.
    errors.add(at, "PERMISSIONS_INVALID", "Must be a permission bit set as a string of digits")


def _check_options(errors: FormErrors, at: Path, value: object, parent: str, size: list[int]) -> None:
    """The options of a command (``parent="command"``), a subcommand group or a subcommand.

    ``size`` accumulates the command's character count for the 8000 limit.
    """
    path = [*at, "options"]
    # docs/interactions/application-commands.mdx, "Application Command Structure" (options, max of 25) and
    # "Application Command Option Structure" (options of a subcommand or group, up to 25).
    options = array(errors, path, value, 0, 25)
    default_names: dict[str, int] = {}
    localized_names: dict[tuple[str, str], int] = {}
    all_defaults = {
        o["name"]: j for j, o in enumerate(options) if isinstance(o, dict) and isinstance(o.get("name"), str)
    }
    optional_seen = False
    nested_level: bool | None = None
    for j, raw in enumerate(options):
        here = [*path, j]
        option = obj(errors, here, raw)
        if option is None:
            continue
        otype = option.get("type")
        if not one_of(errors, [*here, "type"], otype, OPTION_TYPES):
            continue
        nested = otype in NESTING
        # docs/interactions/application-commands.mdx, "Subcommands and Subcommand Groups": a command holds
        # groups and/or subcommands, a group holds only subcommands, a subcommand holds neither; that is the
        # only nesting. The same page does not spell out that subcommands and plain options cannot share a level,
        # but Discord refuses it: code and wording as seen in its answers (discordjs/discord.js#7648).
        if parent == "group" and otype != SUB_COMMAND:
            errors.add(here, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "A subcommand group holds only subcommands")
        elif parent == "subcommand" and nested:
            errors.add(here, "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", "A subcommand cannot hold subcommands")
        elif parent == "command":
            nested_level = nested if nested_level is None else nested_level
            if nested != nested_level:
                errors.add(
                    here,
                    "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID",
                    "Sub-command and sub-command group option types exclude all other types",
                )
        name = _name(errors, [*here, "name"], option.get("name"), slash=True)
        if name is not None:
            # docs/interactions/application-commands.mdx, "Application Command Option Structure": names unique
            # within one options array. Approximated code.
            if name in default_names:
                errors.add(
                    [*here, "name"], "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", "Option names must be unique"
                )
            default_names.setdefault(name, j)
        localizations = _localizations(
            errors, [*here, "name_localizations"], option.get("name_localizations"), "name", True
        )
        for locale, localized in localizations.items():
            # docs/interactions/application-commands.mdx, "Localization": a localized option name differs from
            # the other options' default names and their names in the same locale. The docs say "of that
            # command"; this checks the options beside each other, where the clash shows. Approximated code.
            if localized == name:
                continue
            clash = localized_names.get((locale, localized))
            if clash is not None or all_defaults.get(localized, j) != j:
                errors.add(
                    [*here, "name_localizations", locale],
                    "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS",
                    "Localized option names must be unique",
                )
            localized_names.setdefault((locale, localized), j)
        size[0] += _longest(option.get("name"), option.get("name_localizations"))
        # docs/interactions/application-commands.mdx, "Application Command Option Structure": description 1-100.
        text(errors, [*here, "description"], option.get("description"), 1, 100)
        _localizations(
            errors, [*here, "description_localizations"], option.get("description_localizations"), "text", True
        )
        size[0] += _longest(option.get("description"), option.get("description_localizations"))
        _check_fields(errors, here, option, otype)
        if nested:
            _check_options(
                errors, here, option.get("options"), "group" if otype == SUB_COMMAND_GROUP else "subcommand", size
            )
            continue
        # docs/interactions/application-commands.mdx, "Application Command Option Structure" (the warning):
        # required options come first. Code, wording and path (the misplaced required option) as seen in
        # Discord's answers (discord/discord-api-docs#5615).
        if option.get("required") is True and optional_seen:
            errors.add(
                here,
                "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                "Required options must be placed before non-required options",
            )
        optional_seen = optional_seen or option.get("required") is not True
        _check_values(errors, here, option, otype, size)


def _check_fields(errors: FormErrors, here: Path, option: dict[str, Any], otype: int) -> None:
    """Fields set on an option type that does not take them (see FIELD_TYPES)."""
    for field, types in FIELD_TYPES.items():
        value = option.get(field)
        if value is None or value is False or value == [] or otype in types:
            continue
        if field == "required":
            # Code and wording as seen in Discord's answers (discord/discord-api-docs#4319, #4359).
            errors.add(
                [*here, field],
                "APPLICATION_COMMAND_REQUIRED_INVALID",
                "Required cannot be configured for this type of option",
            )
        else:
            # Approximated code.
            errors.add(
                [*here, field],
                "APPLICATION_COMMAND_OPTION_FIELD_INVALID",
                f"{field} cannot be set on this type of option",
            )


def _check_values(errors: FormErrors, here: Path, option: dict[str, Any], otype: int, size: list[int]) -> None:
    """Choices, autocomplete and the length or value bounds of a plain (non-subcommand) option."""
    if otype in FIELD_TYPES["choices"]:
        # docs/interactions/application-commands.mdx, "Application Command Option Structure": choices max 25.
        choices = array(errors, [*here, "choices"], option.get("choices"), 0, 25)
        if choices and option.get("autocomplete") is True:
            # Same section, footnote: autocomplete may not be true when choices are present. Approximated code.
            errors.add(
                [*here, "autocomplete"],
                "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE",
                "Autocomplete and choices are mutually exclusive",
            )
        for k, choice in enumerate(choices):
            size[0] += _check_choice(errors, [*here, "choices", k], choice, otype)
    if otype in (INTEGER, NUMBER):
        # Same section (min_value, max_value) and "Application Command Option Type" for the bounds.
        whole = otype == INTEGER
        bound = INTEGER_BOUND if whole else NUMBER_BOUND
        lo, hi = (
            number(errors, [*here, key], option[key], -bound, bound, whole=whole)
            if option.get(key) is not None
            else None
            for key in ("min_value", "max_value")
        )
        if lo is not None and hi is not None and lo > hi:
            # Not stated in the docs; an empty range no user could satisfy. Approximated code.
            errors.add([*here, "max_value"], "NUMBER_TYPE_MIN", "max_value must not be below min_value")
    if otype == STRING:
        # Same section: min_length 0-6000, max_length 1-6000.
        lo = (
            integer(errors, [*here, "min_length"], option["min_length"], 0, 6000)
            if option.get("min_length") is not None
            else None
        )
        hi = (
            integer(errors, [*here, "max_length"], option["max_length"], 1, 6000)
            if option.get("max_length") is not None
            else None
        )
        if lo is not None and hi is not None and lo > hi:
            # Not stated in the docs, as for min/max_value. Approximated code.
            errors.add([*here, "max_length"], "NUMBER_TYPE_MIN", "max_length must not be below min_length")


def _check_choice(errors: FormErrors, at: Path, raw: object, otype: int | None) -> int:
    """One choice object; ``otype`` None when the option type is unknown (autocomplete results).

    docs/interactions/application-commands.mdx, "Application Command Option Choice Structure": name 1-100
    characters (localizations under the same rule), value a string of up to 100 characters, an integer or a
    double according to the option type. The docs state no minimum for a string value; an empty one is refused
    here as Discord refuses empty strings for its other bounded strings (approximated lower bound).
    Returns the characters the choice adds to its command's size.
    """
    choice = obj(errors, at, raw)
    if choice is None:
        return 0
    text(errors, [*at, "name"], choice.get("name"), 1, 100)
    _localizations(errors, [*at, "name_localizations"], choice.get("name_localizations"), "choice", False)
    value = choice.get("value")
    if value is None:
        required(errors, [*at, "value"])
    elif otype == STRING or (otype is None and isinstance(value, str)):
        text(errors, [*at, "value"], value, 1, 100)
    elif otype in (INTEGER, NUMBER):
        whole = otype == INTEGER
        number(
            errors,
            [*at, "value"],
            value,
            -(INTEGER_BOUND if whole else NUMBER_BOUND),
            INTEGER_BOUND if whole else NUMBER_BOUND,
            whole=whole,
        )
    else:
        number(errors, [*at, "value"], value, -NUMBER_BOUND, NUMBER_BOUND, whole=False)
    return _longest(choice.get("name"), choice.get("name_localizations")) + len(str(value if value is not None else ""))


def check_autocomplete(data: object, errors: FormErrors, prefix: Path | None = None) -> None:
    """The data of an interaction callback of type 8 (APPLICATION_COMMAND_AUTOCOMPLETE_RESULT).

    docs/interactions/receiving-and-responding.mdx, "Interaction Callback Data Structure" ("Autocomplete"):
    ``choices``, at most 25, each a choice object as in an option's choices. The option's type is not known
    here, so a value may be a string (1-100), an integer or a double.
    """
    at: Path = ["data"] if prefix is None else list(prefix)
    body = obj(errors, at, data)
    if body is None:
        return
    # Code and wording for more than 25 as seen in Discord's answers (discordjs/guide#1236: data.choices).
    for k, choice in enumerate(array(errors, [*at, "choices"], body.get("choices"), 0, 25, optional=False)):
        _check_choice(errors, [*at, "choices", k], choice, None)


# ----------------------------------------------------------------------------------------------------------


def _name(errors: FormErrors, at: Path, value: object, *, slash: bool) -> str | None:
    """A command or option name: 1-32 characters, and Discord's naming rule for CHAT_INPUT names.

    docs/interactions/application-commands.mdx, "Application Command Naming". USER and MESSAGE command names
    may be mixed case and hold spaces, so only their length is checked. Code and wording for a bad name as
    seen in Discord's answers (e.g. Rapptz/discord.py#9838, Garlic-Team/gcommands#295).
    """
    name = text(errors, at, value, 1, 32)
    if name is None or not 1 <= len(name) <= 32:
        return None
    if slash and not slash_name_ok(name):
        errors.add(at, "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
        return None
    return name


def _localizations(errors: FormErrors, at: Path, value: object, kind: str, slash: bool) -> dict[str, str]:
    """A localization dictionary: null, or keys among Discord's locales and values under the field's own rule.

    docs/interactions/application-commands.mdx, "Application Command Structure" (name_localizations,
    description_localizations: "?dictionary with keys in available locales"); docs/reference.mdx, "Locales".
    ``kind`` is "name" (a command or option name), "text" (a description) or "choice" (a choice name).
    Returns the valid string entries, for the uniqueness and size checks.
    """
    if value is None:
        return {}
    table = obj(errors, at, value)
    if table is None:
        return {}
    valid: dict[str, str] = {}
    for locale, localized in table.items():
        if locale not in LOCALES:
            # Approximated code (the one Discord uses for other closed sets of values).
            errors.add([*at, locale], "BASE_TYPE_CHOICES", "Not a Discord locale")
            continue
        if kind == "name":
            ok = _name(errors, [*at, locale], localized, slash=slash) is not None
        else:
            ok = text(errors, [*at, locale], localized, 1, 100) is not None and 1 <= len(str(localized)) <= 100
        if ok and isinstance(localized, str):
            valid[locale] = localized
    return valid


def _longest(value: object, localizations: object) -> int:
    """The length the 8000 limit counts for one field: the longest of its default and localized values."""
    candidates = [value, *(localizations.values() if isinstance(localizations, dict) else ())]
    return max((len(v) for v in candidates if isinstance(v, str)), default=0)
