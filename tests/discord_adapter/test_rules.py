"""Every rule of tests/fakes/discord_rules.py, each with a body it must accept and one it must refuse.

The accepted body sits at the documented limit where there is one, the refused one just past it, so a rule
that drifts by one in either direction fails here. Refusals are checked by the exact path and code in the
50035 body, which is what discord.py shows a developer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import discord
import pytest
from discord import app_commands

from tests.fakes.discord_rules import FormErrors, check_autocomplete, check_commands, check_message, slash_name_ok

Check = Callable[..., None]


def run(check: Check, body: object, **kw: Any) -> dict[str, Any]:
    errors = FormErrors()
    check(body, errors, **kw)
    return errors.body()


def codes_at(answer: dict[str, Any], path: list[str | int]) -> list[str]:
    """The error codes recorded exactly at ``path`` of a 50035 body."""
    node: Any = answer["errors"]
    for key in path:
        node = node.get(str(key)) if isinstance(node, dict) else None
        if node is None:
            return []
    return [e["code"] for e in node.get("_errors", [])]


def case(id: str, code: str, path: list[str | int], good: object, bad: object, **kw: Any) -> Any:
    """One rule: its name, the code it answers with at ``path``, a body it accepts and one it refuses."""
    return pytest.param(good, bad, path, code, kw, id=id)


def assert_rule(check: Check, good: object, bad: object, path: list[str | int], code: str, kw: dict[str, Any]) -> None:
    accepted = run(check, good, **kw)
    assert accepted["errors"] == {}, accepted
    refused = run(check, bad, **kw)
    assert code in codes_at(refused, path), refused


# -- form errors ------------------------------------------------------------------------------------------


def test_form_errors_nest_by_path_like_discord() -> None:
    errors = FormErrors()
    assert not errors
    errors.add([0, "options", 2, "name"], "APPLICATION_COMMAND_INVALID_NAME", "Command name is invalid")
    errors.add([0, "options", 2, "name"], "BASE_TYPE_BAD_LENGTH", "Must be between 1 and 32 in length.")
    errors.add([], "APPLICATION_COMMAND_TOO_LARGE", "Command exceeds maximum size (8000)")
    assert errors
    assert errors.body() == {
        "code": 50035,
        "message": "Invalid Form Body",
        "errors": {
            "0": {
                "options": {
                    "2": {
                        "name": {
                            "_errors": [
                                {"code": "APPLICATION_COMMAND_INVALID_NAME", "message": "Command name is invalid"},
                                {"code": "BASE_TYPE_BAD_LENGTH", "message": "Must be between 1 and 32 in length."},
                            ]
                        }
                    }
                }
            },
            "_errors": [{"code": "APPLICATION_COMMAND_TOO_LARGE", "message": "Command exceeds maximum size (8000)"}],
        },
    }


# -- command names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["study", "クイズ", "用語検索", "daily-set", "ランキング", "don't", "नमस्ते", "สวัสดี", "a" * 32]
)
def test_slash_names_discord_accepts(name: str) -> None:
    assert slash_name_ok(name)
    assert run(check_commands, [{"name": name, "description": "d"}])["errors"] == {}


@pytest.mark.parametrize("name", ["AWS 認定試験の学習", "Study", "stUdy", "daily set", "a.b", "study\n", "Ünit"])
def test_slash_names_discord_refuses(name: str) -> None:
    assert not slash_name_ok(name)
    answer = run(check_commands, [{"name": name, "description": "d", "type": 1}])
    assert codes_at(answer, [0, "name"]) == ["APPLICATION_COMMAND_INVALID_NAME"]


def test_the_name_that_broke_the_bot_is_refused_as_a_localization_too() -> None:
    """The upload real Discord refused: the Japanese name of /study, with a space and capitals."""
    answer = run(
        check_commands, [{"name": "study", "description": "d", "name_localizations": {"ja": "AWS 認定試験の学習"}}]
    )
    assert codes_at(answer, [0, "name_localizations", "ja"]) == ["APPLICATION_COMMAND_INVALID_NAME"]


def test_option_names_follow_the_same_rule() -> None:
    bad = [{"name": "study", "description": "d", "options": [{"name": "Term", "description": "d", "type": 3}]}]
    assert codes_at(run(check_commands, bad), [0, "options", 0, "name"]) == ["APPLICATION_COMMAND_INVALID_NAME"]


# -- command rules ----------------------------------------------------------------------------------------


def cmd(**over: Any) -> dict[str, Any]:
    return {"name": "study", "type": 1, "description": "Study AWS", **over}


def opt(name: str = "term", type: int = 3, **over: Any) -> dict[str, Any]:
    return {"name": name, "type": type, "description": "A term", **over}


def choices(n: int, value: Callable[[int], object] = lambda k: f"v{k}", **over: Any) -> list[dict[str, Any]]:
    return [{"name": f"c{k}", "value": value(k), **over} for k in range(n)]


def sub(name: str = "top", *options: dict[str, Any]) -> dict[str, Any]:
    return opt(name, 1, options=list(options))


def group(name: str = "daily", *options: dict[str, Any]) -> dict[str, Any]:
    return opt(name, 2, options=list(options))


# One option with 25 choices of 100-character names (each localized twice) and values: 5000 characters counted
# by the longest-localization rule, 10000 if every localization counted.
LOCALIZED = {"ja": "名" * 100, "de": "n" * 100}
HEAVY = [{"name": f"{k:0>100}", "value": f"{k:0>100}", "name_localizations": LOCALIZED} for k in range(25)]

# fmt: off
# One rule per line: name, code, path, accepted body, refused body (and keyword arguments).
COMMAND_CASES = [
    case("name-regex", "APPLICATION_COMMAND_INVALID_NAME", [0, "name"], [cmd(name="daily-set")], [cmd(name="daily set")]),
    case("name-lowercase", "APPLICATION_COMMAND_INVALID_NAME", [0, "name"], [cmd(name="study")], [cmd(name="Study")]),
    case("name-max-32", "BASE_TYPE_BAD_LENGTH", [0, "name"], [cmd(name="a" * 32)], [cmd(name="a" * 33)]),
    case("name-min-1", "BASE_TYPE_BAD_LENGTH", [0, "name"], [cmd(name="a")], [cmd(name="")]),
    case("name-required", "BASE_TYPE_REQUIRED", [0, "name"], [cmd()], [{"type": 1, "description": "d"}]),
    case("user-name", "BASE_TYPE_BAD_LENGTH", [0, "name"], [{"name": "High Five", "type": 2}], [{"name": "H" * 33, "type": 2}]),
    case("context-menu-description", "APPLICATION_COMMAND_DESCRIPTION_INVALID", [0, "description"], [{"name": "Bookmark", "type": 3, "description": ""}], [{"name": "Bookmark", "type": 3, "description": "x"}]),
    case("context-menu-options", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options"], [{"name": "High Five", "type": 2}], [{"name": "High Five", "type": 2, "options": [opt()]}]),
    case("description-max-100", "BASE_TYPE_BAD_LENGTH", [0, "description"], [cmd(description="d" * 100)], [cmd(description="d" * 101)]),
    case("description-min-1", "BASE_TYPE_BAD_LENGTH", [0, "description"], [cmd(description="d")], [cmd(description="")]),
    case("description-required", "BASE_TYPE_REQUIRED", [0, "description"], [cmd()], [{"name": "study"}]),
    case("option-description", "BASE_TYPE_BAD_LENGTH", [0, "options", 0, "description"], [cmd(options=[opt(description="d" * 100)])], [cmd(options=[opt(description="d" * 101)])]),
    case("localization-locale", "BASE_TYPE_CHOICES", [0, "name_localizations", "jp"], [cmd(name_localizations={"ja": "クイズ", "en-US": "quiz"})], [cmd(name_localizations={"jp": "クイズ"})]),
    case("localized-name-rule", "APPLICATION_COMMAND_INVALID_NAME", [0, "name_localizations", "ja"], [cmd(name_localizations=None)], [cmd(name_localizations={"ja": "Quiz"})]),
    case("localized-description", "BASE_TYPE_BAD_LENGTH", [0, "description_localizations", "ja"], [cmd(description_localizations={"ja": "説" * 100})], [cmd(description_localizations={"ja": "説" * 101})]),
    case("localized-option-name", "APPLICATION_COMMAND_INVALID_NAME", [0, "options", 0, "name_localizations", "ja"], [cmd(options=[opt(name_localizations={"ja": "用語"})])], [cmd(options=[opt(name_localizations={"ja": "Term"})])]),
    case("localized-option-name-clash", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", [0, "options", 0, "name_localizations", "ja"], [cmd(options=[opt("a", name_localizations={"ja": "あ"}), opt("b")])], [cmd(options=[opt("a", name_localizations={"ja": "b"}), opt("b")])]),
    case("options-max-25", "BASE_TYPE_MAX_LENGTH", [0, "options"], [cmd(options=[opt(f"o{n}") for n in range(25)])], [cmd(options=[opt(f"o{n}") for n in range(26)])]),
    case("subcommand-options-max-25", "BASE_TYPE_MAX_LENGTH", [0, "options", 0, "options"], [cmd(options=[sub("s", *(opt(f"o{n}") for n in range(25)))])], [cmd(options=[sub("s", *(opt(f"o{n}") for n in range(26)))])]),
    case("choices-max-25", "BASE_TYPE_MAX_LENGTH", [0, "options", 0, "choices"], [cmd(options=[opt(choices=choices(25))])], [cmd(options=[opt(choices=choices(26))])]),
    case("choice-name-100", "BASE_TYPE_BAD_LENGTH", [0, "options", 0, "choices", 0, "name"], [cmd(options=[opt(choices=[{"name": "n" * 100, "value": "v"}])])], [cmd(options=[opt(choices=[{"name": "n" * 101, "value": "v"}])])]),
    case("choice-name-localization", "BASE_TYPE_BAD_LENGTH", [0, "options", 0, "choices", 0, "name_localizations", "ja"], [cmd(options=[opt(choices=choices(1, name_localizations={"ja": "週"}))])], [cmd(options=[opt(choices=choices(1, name_localizations={"ja": "週" * 101}))])]),
    case("string-choice-value-100", "BASE_TYPE_BAD_LENGTH", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(choices=choices(1, lambda k: "v" * 100))])], [cmd(options=[opt(choices=choices(1, lambda k: "v" * 101))])]),
    case("string-choice-value-type", "BASE_TYPE_STRING", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(choices=choices(1))])], [cmd(options=[opt(choices=choices(1, lambda k: 5))])]),
    case("integer-choice-bound", "NUMBER_TYPE_MAX", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(type=4, choices=choices(2, lambda k: (1 - 2 * k) * (2**53 - 1)))])], [cmd(options=[opt(type=4, choices=choices(1, lambda k: 2**53))])]),
    case("integer-choice-type", "NUMBER_TYPE_COERCE", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(type=4, choices=choices(1, lambda k: 3))])], [cmd(options=[opt(type=4, choices=choices(1, lambda k: 1.5))])]),
    case("number-choice-bound", "NUMBER_TYPE_MAX", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(type=10, choices=choices(2, lambda k: [0.5, -(2.0**53)][k]))])], [cmd(options=[opt(type=10, choices=choices(1, lambda k: 2.0**54))])]),
    case("number-choice-type", "NUMBER_TYPE_COERCE", [0, "options", 0, "choices", 0, "value"], [cmd(options=[opt(type=10, choices=choices(1, lambda k: 2))])], [cmd(options=[opt(type=10, choices=choices(1, lambda k: True))])]),
    case("choices-only-string-integer-number", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options", 0, "choices"], [cmd(options=[opt(type=5)])], [cmd(options=[opt(type=5, choices=choices(1))])]),
    case("autocomplete-excludes-choices", "APPLICATION_COMMAND_OPTION_CHOICES_AUTOCOMPLETE", [0, "options", 0, "autocomplete"], [cmd(options=[opt(autocomplete=True)])], [cmd(options=[opt(autocomplete=True, choices=choices(1))])]),
    case("autocomplete-only-string-integer-number", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options", 0, "autocomplete"], [cmd(options=[opt(type=4, autocomplete=True)])], [cmd(options=[opt(type=5, autocomplete=True)])]),
    case("required-first", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", [0, "options", 1], [cmd(options=[opt("a", required=True), opt("b")])], [cmd(options=[opt("a"), opt("b", required=True)])]),
    case("required-first-in-subcommand", "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", [0, "options", 0, "options", 1], [cmd(options=[sub("s", opt("a", required=True), opt("b"))])], [cmd(options=[sub("s", opt("a"), opt("b", required=True))])]),
    case("group-holds-subcommands", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", [0, "options", 0, "options", 0], [cmd(options=[group("g", sub("s"))])], [cmd(options=[group("g", opt())])]),
    case("no-group-in-group", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", [0, "options", 0, "options", 0], [cmd(options=[group("g", sub("s", opt()))])], [cmd(options=[group("g", group("h", sub("s")))])]),
    case("no-subcommand-in-subcommand", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", [0, "options", 0, "options", 0], [cmd(options=[sub("s", opt())])], [cmd(options=[sub("s", sub("t"))])]),
    case("no-mixing-subcommands-and-options", "APPLICATION_COMMAND_OPTIONS_TYPE_INVALID", [0, "options", 1], [cmd(options=[sub("s"), group("g", sub("t"))])], [cmd(options=[sub("s"), opt()])]),
    case("options-only-in-subcommands", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options", 0, "options"], [cmd(options=[opt(), opt("b", options=None)])], [cmd(options=[opt(options=[opt()])])]),
    case("option-names-unique", "APPLICATION_COMMAND_OPTIONS_NAME_ALREADY_EXISTS", [0, "options", 1, "name"], [cmd(options=[sub("s", opt()), sub("t", opt())])], [cmd(options=[opt(), opt()])]),
    case("command-names-unique-per-type", "APPLICATION_COMMANDS_DUPLICATE_NAME", [1, "name"], [cmd(), {"name": "study", "type": 2}], [cmd(), cmd()]),
    case("100-chat-input", "APPLICATION_COMMANDS_TOO_MANY", [], [cmd(name=f"c{n}") for n in range(100)], [cmd(name=f"c{n}") for n in range(101)]),
    case("5-user", "APPLICATION_COMMANDS_TOO_MANY", [], [{"name": f"U{n}", "type": 2} for n in range(5)], [{"name": f"U{n}", "type": 2} for n in range(6)]),
    case("5-message", "APPLICATION_COMMANDS_TOO_MANY", [], [{"name": f"M{n}", "type": 3} for n in range(5)], [{"name": f"M{n}", "type": 3} for n in range(6)]),
    case("8000-characters-longest-localization", "APPLICATION_COMMAND_TOO_LARGE", [0], [cmd(description="d" * 100, options=[opt("a", choices=HEAVY)])], [cmd(description="d" * 100, options=[opt("a", choices=HEAVY), opt("b", choices=HEAVY)])]),
    case("max-length-6000", "NUMBER_TYPE_MAX", [0, "options", 0, "max_length"], [cmd(options=[opt(min_length=0, max_length=6000)])], [cmd(options=[opt(max_length=6001)])]),
    case("max-length-min-1", "NUMBER_TYPE_MIN", [0, "options", 0, "max_length"], [cmd(options=[opt(max_length=1)])], [cmd(options=[opt(max_length=0)])]),
    case("min-length-0", "NUMBER_TYPE_MIN", [0, "options", 0, "min_length"], [cmd(options=[opt(min_length=6000)])], [cmd(options=[opt(min_length=-1)])]),
    case("min-length-not-above-max", "NUMBER_TYPE_MIN", [0, "options", 0, "max_length"], [cmd(options=[opt(min_length=5, max_length=5)])], [cmd(options=[opt(min_length=6, max_length=5)])]),
    case("integer-min-max-value", "NUMBER_TYPE_MAX", [0, "options", 0, "max_value"], [cmd(options=[opt(type=4, min_value=-(2**53 - 1), max_value=2**53 - 1)])], [cmd(options=[opt(type=4, max_value=2**53)])]),
    case("number-min-max-value", "NUMBER_TYPE_MIN", [0, "options", 0, "min_value"], [cmd(options=[opt(type=10, min_value=-(2.0**53), max_value=0.5)])], [cmd(options=[opt(type=10, min_value=-(2.0**54))])]),
    case("min-value-not-above-max", "NUMBER_TYPE_MIN", [0, "options", 0, "max_value"], [cmd(options=[opt(type=4, min_value=1, max_value=1)])], [cmd(options=[opt(type=4, min_value=2, max_value=1)])]),
    case("min-value-only-integer-number", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options", 0, "min_value"], [cmd(options=[opt(min_length=1)])], [cmd(options=[opt(min_value=1)])]),
    case("max-length-only-string", "APPLICATION_COMMAND_OPTION_FIELD_INVALID", [0, "options", 0, "max_length"], [cmd(options=[opt(type=4, min_value=1)])], [cmd(options=[opt(type=4, max_length=1)])]),
    case("no-required-on-subcommand", "APPLICATION_COMMAND_REQUIRED_INVALID", [0, "options", 0, "required"], [cmd(options=[sub("s")])], [cmd(options=[opt("s", 1, required=True)])]),
    case("default-member-permissions", "PERMISSIONS_INVALID", [0, "default_member_permissions"], [cmd(default_member_permissions="8"), cmd(name="b", default_member_permissions=None), cmd(name="c", default_member_permissions=32)], [cmd(default_member_permissions="admin")]),
    case("command-type", "BASE_TYPE_CHOICES", [0, "type"], [cmd(type=1), {"name": "Launch", "type": 4, "description": "Launch"}], [cmd(type=5)]),
    case("option-type", "BASE_TYPE_CHOICES", [0, "options", 0, "type"], [cmd(options=[opt(type=11)])], [cmd(options=[opt(type=12)])]),
    case("contexts", "BASE_TYPE_CHOICES", [0, "contexts", 0], [cmd(contexts=[0, 1, 2], integration_types=[0, 1])], [cmd(contexts=[3])]),
    case("body-is-a-list", "LIST_TYPE_CONVERT", [], [], {"name": "study"}),
]
# fmt: on


@pytest.mark.parametrize(("good", "bad", "path", "code", "kw"), COMMAND_CASES)
def test_command_rule(good: object, bad: object, path: list[str | int], code: str, kw: dict[str, Any]) -> None:
    assert_rule(check_commands, good, bad, path, code, kw)


def test_guild_uploads_have_no_entry_point_command() -> None:
    entry = [{"name": "launch", "type": 4, "description": "Launch"}]
    assert run(check_commands, entry)["errors"] == {}
    assert codes_at(run(check_commands, entry, guild=True), [0, "type"]) == ["APPLICATION_COMMAND_TYPE_INVALID"]


async def test_discord_py_payload_passes() -> None:
    """The exact JSON discord.py 2.7.1 uploads, built as CommandTree.sync() builds it without a translator."""
    client = discord.Client(intents=discord.Intents.none())
    tree = app_commands.CommandTree(client)
    study = app_commands.Group(name="study", description="Study AWS certifications together")
    admin = app_commands.Group(name="admin", description="Settings", parent=study)

    @study.command(name="leaderboard", description="Rankings for this week, month or all time")
    @app_commands.describe(period="week, month or all", term="Term, alias or abbreviation")
    async def leaderboard(
        interaction: discord.Interaction, period: Literal["week", "month", "all"], term: str | None = None
    ) -> None: ...

    @admin.command(name="lang", description="Bot language for this server")
    async def lang(interaction: discord.Interaction, language: Literal["en", "ja"]) -> None: ...

    tree.add_command(study)
    # What sync() sends when no translator is set (discord/app_commands/tree.py, CommandTree.sync).
    payload = [command.to_dict(tree) for command in tree.get_commands()]
    leaderboard_json = next(o for o in payload[0]["options"] if o["name"] == "leaderboard")
    assert leaderboard_json["options"][0]["choices"] == [{"name": v, "value": v} for v in ("week", "month", "all")]
    assert run(check_commands, payload)["errors"] == {}
    # The same tree with the name that broke the real bot is refused.
    payload[0]["name"] = "AWS 認定試験の学習"
    assert codes_at(run(check_commands, payload), [0, "name"]) == ["APPLICATION_COMMAND_INVALID_NAME"]
    await client.close()


# -- messages ---------------------------------------------------------------------------------------------


def row(*items: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(items)}


def button(custom_id: str | None = "b", **over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"type": 2, "style": 1, "label": "A"}
    if custom_id is not None:
        base["custom_id"] = custom_id
    return {**base, **over}


def select(n: int = 3, **over: Any) -> dict[str, Any]:
    return {"type": 3, "custom_id": "s", "options": [{"label": f"L{k}", "value": f"v{k}"} for k in range(n)], **over}


def fields(n: int, name: str = "n", value: str = "v") -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for _ in range(n)]


def link(**over: Any) -> dict[str, Any]:
    return {"type": 2, "style": 5, "label": "Docs", "url": "https://docs.aws.amazon.com/", **over}


E = ["embeds", 0]
C = ["components", 0, "components", 0]

# fmt: off
# One rule per line: name, code, path, accepted body, refused body (and keyword arguments).
MESSAGE_CASES = [
    case("content-2000", "BASE_TYPE_MAX_LENGTH", ["content"], {"content": "x" * 2000}, {"content": "x" * 2001}),
    case("embeds-10", "BASE_TYPE_MAX_LENGTH", ["embeds"], {"embeds": [{"title": "t"}] * 10}, {"embeds": [{"title": "t"}] * 11}),
    case("title-256-trimmed", "BASE_TYPE_MAX_LENGTH", [*E, "title"], {"embeds": [{"title": " " + "t" * 256 + "\n"}]}, {"embeds": [{"title": "t" * 257}]}),
    case("description-4096", "BASE_TYPE_MAX_LENGTH", [*E, "description"], {"embeds": [{"description": "d" * 4096}]}, {"embeds": [{"description": "d" * 4097}]}),
    case("fields-25", "BASE_TYPE_MAX_LENGTH", [*E, "fields"], {"embeds": [{"fields": fields(25)}]}, {"embeds": [{"fields": fields(26)}]}),
    case("field-name-256", "BASE_TYPE_BAD_LENGTH", [*E, "fields", 0, "name"], {"embeds": [{"fields": fields(1, name="n" * 256)}]}, {"embeds": [{"fields": fields(1, name="n" * 257)}]}),
    case("field-value-1024", "BASE_TYPE_BAD_LENGTH", [*E, "fields", 0, "value"], {"embeds": [{"fields": fields(1, value="v" * 1024)}]}, {"embeds": [{"fields": fields(1, value="v" * 1025)}]}),
    case("field-name-required", "BASE_TYPE_REQUIRED", [*E, "fields", 0, "name"], {"embeds": [{"fields": fields(1)}]}, {"embeds": [{"fields": [{"value": "v"}]}]}),
    case("field-value-not-blank", "BASE_TYPE_REQUIRED", [*E, "fields", 0, "value"], {"embeds": [{"fields": fields(1, value=".")}]}, {"embeds": [{"fields": fields(1, value=" ")}]}),
    case("footer-text-2048", "BASE_TYPE_MAX_LENGTH", [*E, "footer", "text"], {"embeds": [{"footer": {"text": "f" * 2048}}]}, {"embeds": [{"footer": {"text": "f" * 2049}}]}),
    case("footer-text-required", "BASE_TYPE_REQUIRED", [*E, "footer", "text"], {"embeds": [{"footer": {"text": "f", "icon_url": "https://x/y.png"}}]}, {"embeds": [{"footer": {"icon_url": "https://x/y.png"}}]}),
    case("author-name-256", "BASE_TYPE_MAX_LENGTH", [*E, "author", "name"], {"embeds": [{"author": {"name": "a" * 256}}]}, {"embeds": [{"author": {"name": "a" * 257}}]}),
    case("embeds-total-6000", "MAX_EMBED_SIZE_EXCEEDED", ["embeds"], {"embeds": [{"description": "d" * 4096, "url": "https://" + "u" * 3000}, {"title": "t" * 200, "description": "d" * 1504 + "  ", "footer": {"text": "f" * 100}, "author": {"name": "a" * 50}, "fields": fields(2, "n" * 10, "v" * 15)}]}, {"embeds": [{"description": "d" * 4096}, {"title": "t" * 201, "description": "d" * 1504, "footer": {"text": "f" * 100}, "author": {"name": "a" * 50}, "fields": fields(2, "n" * 10, "v" * 15)}]}),
    case("action-rows-5", "BASE_TYPE_MAX_LENGTH", ["components"], {"components": [row(button(f"b{k}")) for k in range(5)]}, {"components": [row(button(f"b{k}")) for k in range(6)]}),
    case("top-level-action-rows", "UNION_TYPE_CHOICES", ["components", 0, "type"], {"components": [row(button())]}, {"components": [button()]}),
    case("buttons-per-row-5", "BASE_TYPE_BAD_LENGTH", ["components", 0, "components"], {"components": [row(*(button(f"b{k}") for k in range(5)))]}, {"components": [row(*(button(f"b{k}") for k in range(6)))]}),
    case("row-not-empty", "BASE_TYPE_BAD_LENGTH", ["components", 0, "components"], {"components": [row(button())]}, {"components": [row()]}),
    case("select-alone-in-row", "COMPONENT_LAYOUT_WIDTH_EXCEEDED", ["components", 0, "components", 1], {"components": [row(select()), row(button())]}, {"components": [row(select(), button())]}),
    case("no-text-input-in-message", "BASE_TYPE_CHOICES", [*C, "type"], {"components": [row(button())]}, {"components": [row({"type": 4, "custom_id": "t", "style": 1, "label": "L"})]}),
    case("button-label-80", "BASE_TYPE_MAX_LENGTH", [*C, "label"], {"components": [row(button(label="l" * 80))]}, {"components": [row(button(label="l" * 81))]}),
    case("button-needs-custom-id", "BASE_TYPE_REQUIRED", [*C, "custom_id"], {"components": [row(button(style=4))]}, {"components": [row(button(None, style=2))]}),
    case("link-needs-url", "BASE_TYPE_REQUIRED", [*C, "url"], {"components": [row(link())]}, {"components": [row(link(url=None))]}),
    case("link-has-no-custom-id", "BUTTON_COMPONENT_FIELD_INVALID", [*C, "custom_id"], {"components": [row(link())]}, {"components": [row(link(custom_id="x"))]}),
    case("non-link-has-no-url", "BUTTON_COMPONENT_FIELD_INVALID", [*C, "url"], {"components": [row(button(url=None))]}, {"components": [row(button(url="https://x"))]}),
    case("button-style", "BASE_TYPE_CHOICES", [*C, "style"], {"components": [row(button(style=1), button("c", style=3))]}, {"components": [row(button(style=7))]}),
    case("custom-id-100", "BASE_TYPE_BAD_LENGTH", [*C, "custom_id"], {"components": [row(button("i" * 100))]}, {"components": [row(button("i" * 101))]}),
    case("custom-id-not-empty", "BASE_TYPE_BAD_LENGTH", [*C, "custom_id"], {"components": [row(button("i"))]}, {"components": [row(button(""))]}),
    case("custom-id-unique-in-message", "COMPONENT_CUSTOM_ID_DUPLICATED", ["components", 1, "components", 0, "custom_id"], {"components": [row(button("a"), button("b")), row(select(custom_id="c"))]}, {"components": [row(button("a")), row(select(custom_id="a"))]}),
    case("select-options-25", "BASE_TYPE_BAD_LENGTH", [*C, "options"], {"components": [row(select(25))]}, {"components": [row(select(26))]}),
    case("select-options-min-1", "BASE_TYPE_BAD_LENGTH", [*C, "options"], {"components": [row(select(1))]}, {"components": [row(select(0, min_values=0))]}),
    case("string-select-needs-options", "BASE_TYPE_REQUIRED", [*C, "options"], {"components": [row({"type": 5, "custom_id": "u"})]}, {"components": [row({"type": 3, "custom_id": "s"})]}),
    case("select-option-label-100", "BASE_TYPE_BAD_LENGTH", [*C, "options", 0, "label"], {"components": [row(select(options=[{"label": "l" * 100, "value": "v" * 100, "description": "d" * 100}]))]}, {"components": [row(select(options=[{"label": "l" * 101, "value": "v"}]))]}),
    case("select-option-value-100", "BASE_TYPE_BAD_LENGTH", [*C, "options", 0, "value"], {"components": [row(select(options=[{"label": "l", "value": "v" * 100}]))]}, {"components": [row(select(options=[{"label": "l", "value": "v" * 101}]))]}),
    case("select-option-description-100", "BASE_TYPE_MAX_LENGTH", [*C, "options", 0, "description"], {"components": [row(select(options=[{"label": "l", "value": "v", "description": "d" * 100}]))]}, {"components": [row(select(options=[{"label": "l", "value": "v", "description": "d" * 101}]))]}),
    case("select-placeholder-150", "BASE_TYPE_MAX_LENGTH", [*C, "placeholder"], {"components": [row(select(placeholder="p" * 150))]}, {"components": [row(select(placeholder="p" * 151))]}),
    case("select-max-values-25", "NUMBER_TYPE_MAX", [*C, "max_values"], {"components": [row(select(25, min_values=0, max_values=25))]}, {"components": [row({"type": 5, "custom_id": "u", "max_values": 26})]}),
    case("select-min-values-0", "NUMBER_TYPE_MIN", [*C, "min_values"], {"components": [row(select(3, min_values=0))]}, {"components": [row(select(3, min_values=-1))]}),
    case("select-min-not-above-max", "NUMBER_TYPE_MAX", [*C, "min_values"], {"components": [row(select(3, min_values=2, max_values=2))]}, {"components": [row(select(3, min_values=3, max_values=2))]}),
    case("select-max-not-above-options", "NUMBER_TYPE_MAX", [*C, "max_values"], {"components": [row(select(3, max_values=3))]}, {"components": [row(select(3, max_values=4))]}),
    case("mentions-parse-types", "BASE_TYPE_CHOICES", ["allowed_mentions", "parse", 0], {"allowed_mentions": {"parse": ["roles", "users", "everyone"]}}, {"allowed_mentions": {"parse": ["here"]}}),
    case("mentions-parse-users-exclusive", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", ["allowed_mentions"], {"allowed_mentions": {"parse": ["users"], "users": []}}, {"allowed_mentions": {"parse": ["users"], "users": ["123"]}}),
    case("mentions-parse-roles-exclusive", "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE", ["allowed_mentions"], {"allowed_mentions": {"parse": ["everyone"], "roles": ["1"]}}, {"allowed_mentions": {"parse": ["roles"], "roles": ["1"]}}),
    case("mentions-users-100", "BASE_TYPE_MAX_LENGTH", ["allowed_mentions", "users"], {"allowed_mentions": {"users": [str(k) for k in range(100)]}}, {"allowed_mentions": {"users": [str(k) for k in range(101)]}}),
    case("mentions-roles-100", "BASE_TYPE_MAX_LENGTH", ["allowed_mentions", "roles"], {"allowed_mentions": {"roles": [str(k) for k in range(100)]}}, {"allowed_mentions": {"roles": [str(k) for k in range(101)]}}),
    case("flags-create", "MESSAGE_FLAGS_INVALID", ["flags"], {"content": "x", "flags": 4 | 4096}, {"content": "x", "flags": 64}, endpoint="create"),
    case("flags-unnamed-endpoint", "MESSAGE_FLAGS_INVALID", ["flags"], {"content": "x", "flags": 64}, {"content": "x", "flags": 1 << 7}),
    case("flags-callback", "MESSAGE_FLAGS_INVALID", ["data", "flags"], {"content": "x", "flags": 4 | 64 | 4096}, {"content": "x", "flags": 2}, prefix=["data"]),
    case("flags-deferred", "MESSAGE_FLAGS_INVALID", ["data", "flags"], {"flags": 64}, {"flags": 4}, prefix=["data"], endpoint="deferred"),
    case("flags-followup", "MESSAGE_FLAGS_INVALID", ["flags"], {"content": "x", "flags": 64 | 4096}, {"content": "x", "flags": 1 << 13}, endpoint="followup"),
    case("flags-webhook-edit", "MESSAGE_FLAGS_INVALID", ["flags"], {"content": "x", "flags": 4}, {"content": "x", "flags": 64}, endpoint="webhook_edit"),
    case("components-v2-only-components", "MESSAGE_COMPONENTS_V2_FIELD_INVALID", ["content"], {"components": [row(button())], "flags": 1 << 15}, {"content": "x", "flags": 1 << 15}),
    case("callback-prefix", "BASE_TYPE_MAX_LENGTH", ["data", "content"], {"content": "x" * 2000}, {"content": "x" * 2001}, prefix=["data"]),
    case("stickers-3", "BASE_TYPE_MAX_LENGTH", ["sticker_ids"], {"content": "x", "sticker_ids": ["1", "2", "3"]}, {"sticker_ids": ["1", "2", "3", "4"]}),
    case("nonce-25", "BASE_TYPE_MAX_LENGTH", ["nonce"], {"content": "x", "nonce": "n" * 25}, {"content": "x", "nonce": "n" * 26}),
    case("attachment-description-1024", "BASE_TYPE_MAX_LENGTH", ["attachments", 0, "description"], {"attachments": [{"id": 0, "description": "d" * 1024}]}, {"attachments": [{"id": 0, "description": "d" * 1025}]}),
    case("body-is-an-object", "MODEL_TYPE_CONVERT", [], None, ["not", "an", "object"]),
]
# fmt: on


@pytest.mark.parametrize(("good", "bad", "path", "code", "kw"), MESSAGE_CASES)
def test_message_rule(good: object, bad: object, path: list[str | int], code: str, kw: dict[str, Any]) -> None:
    assert_rule(check_message, good, bad, path, code, kw)


def test_edit_ignores_flags_it_does_not_change() -> None:
    """Edit Message ignores unsupported flag changes instead of refusing them (docs: "Edit Message")."""
    assert run(check_message, {"content": "x", "flags": 64 | 2}, endpoint="edit")["errors"] == {}


def test_every_broken_field_is_reported_at_once() -> None:
    answer = run(check_message, {"content": "x" * 2001, "components": [row(button(None))]})
    assert codes_at(answer, ["content"]) == ["BASE_TYPE_MAX_LENGTH"]
    assert codes_at(answer, [*C, "custom_id"]) == ["BASE_TYPE_REQUIRED"]


# -- autocomplete -----------------------------------------------------------------------------------------


# fmt: off
# One rule per line: name, code, path, accepted body, refused body (and keyword arguments).
AUTOCOMPLETE_CASES = [
    case("choices-25", "BASE_TYPE_MAX_LENGTH", ["data", "choices"], {"choices": choices(25)}, {"choices": choices(26)}),
    case("choices-required", "BASE_TYPE_REQUIRED", ["data", "choices"], {"choices": []}, {}),
    case("name-100", "BASE_TYPE_BAD_LENGTH", ["data", "choices", 0, "name"], {"choices": [{"name": "n" * 100, "value": "v"}]}, {"choices": [{"name": "n" * 101, "value": "v"}]}),
    case("name-min-1", "BASE_TYPE_BAD_LENGTH", ["data", "choices", 0, "name"], {"choices": [{"name": "n", "value": "v"}]}, {"choices": [{"name": "", "value": "v"}]}),
    case("string-value-100", "BASE_TYPE_BAD_LENGTH", ["data", "choices", 0, "value"], {"choices": [{"name": "n", "value": "v" * 100}]}, {"choices": [{"name": "n", "value": "v" * 101}]}),
    case("number-value", "NUMBER_TYPE_COERCE", ["data", "choices", 0, "value"], {"choices": [{"name": "n", "value": 2**53}, {"name": "m", "value": 0.5}]}, {"choices": [{"name": "n", "value": False}]}),
    case("name-localization-locale", "BASE_TYPE_CHOICES", ["data", "choices", 0, "name_localizations", "xx"], {"choices": choices(1, name_localizations={"ja": "週"})}, {"choices": choices(1, name_localizations={"xx": "週"})}),
]
# fmt: on


@pytest.mark.parametrize(("good", "bad", "path", "code", "kw"), AUTOCOMPLETE_CASES)
def test_autocomplete_rule(good: object, bad: object, path: list[str | int], code: str, kw: dict[str, Any]) -> None:
    assert_rule(check_autocomplete, good, bad, path, code, kw)
