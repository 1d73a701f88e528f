"""What Discord refuses in a message body: content, embeds, classic components, allowed mentions and flags.

Creating and editing channel messages, the message data of interaction callbacks (types 4 and 7), followups
and webhook message edits all share these rules (docs/resources/message.mdx "Create Message" and "Edit
Message", docs/resources/webhook.mdx "Execute Webhook" and "Edit Webhook Message",
docs/interactions/receiving-and-responding.mdx "Interaction Callback Data Structure"); they differ only in
which message flags may be set, hence the ``endpoint`` argument of check_message().

Only classic ("legacy") components are laid out here: action rows of buttons or one select menu. A body that
sets IS_COMPONENTS_V2 is checked for what that flag forbids and for custom_id rules, not for the V2 layout,
which our bot does not send.
"""

from __future__ import annotations

from typing import Any, Literal

from tests.fakes.discord_form import (
    FormErrors,
    Path,
    array,
    integer,
    obj,
    one_of,
    required,
    text,
)

# docs/resources/message.mdx, "Message Flags".
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
SUPPRESS_NOTIFICATIONS = 1 << 12
IS_VOICE_MESSAGE = 1 << 13
IS_COMPONENTS_V2 = 1 << 15

Endpoint = Literal["create", "edit", "callback", "deferred", "followup", "webhook_edit"]

# The flags each endpoint lets an app set; None: other flags are ignored, not refused.
SETTABLE_FLAGS: dict[str, int | None] = {
    # docs/resources/message.mdx, "Create Message" (JSON/Form Params, flags).
    "create": SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2,
    # docs/resources/message.mdx, "Edit Message": only SUPPRESS_EMBEDS and IS_COMPONENTS_V2 change, and
    # "unsupported flag changes are currently ignored without error".
    "edit": None,
    # docs/interactions/receiving-and-responding.mdx, "Interaction Callback Data Structure" (flags).
    "callback": SUPPRESS_EMBEDS | EPHEMERAL | IS_COMPONENTS_V2 | IS_VOICE_MESSAGE | SUPPRESS_NOTIFICATIONS,
    # Same section, footnote: a DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE callback may only set EPHEMERAL.
    "deferred": EPHEMERAL,
    # docs/resources/webhook.mdx, "Execute Webhook" (flags), plus EPHEMERAL from
    # docs/interactions/receiving-and-responding.mdx, "Create Followup Message".
    "followup": SUPPRESS_EMBEDS | SUPPRESS_NOTIFICATIONS | IS_COMPONENTS_V2 | EPHEMERAL,
    # docs/resources/webhook.mdx, "Edit Webhook Message" (flags: SUPPRESS_EMBEDS and IS_COMPONENTS_V2 only);
    # also Edit Original Interaction Response and Edit Followup Message, which "function the same".
    "webhook_edit": SUPPRESS_EMBEDS | IS_COMPONENTS_V2,
}
# When the caller does not say which endpoint: any flag some message endpoint accepts.
ANY_MESSAGE_FLAGS = SUPPRESS_EMBEDS | EPHEMERAL | SUPPRESS_NOTIFICATIONS | IS_VOICE_MESSAGE | IS_COMPONENTS_V2

# docs/resources/message.mdx, "Embed Limits".
EMBED_TOTAL = 6000

# docs/components/reference.mdx, "Component Types".
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
SELECTS = frozenset({STRING_SELECT, 5, 6, 7, 8})  # string, user, role, mentionable, channel select
# docs/components/reference.mdx, "Button Styles".
LINK, PREMIUM = 5, 6
BUTTON_STYLES = frozenset(range(1, 7))

# docs/resources/message.mdx, "Allowed Mention Types".
MENTION_TYPES = frozenset({"roles", "users", "everyone"})


def check_message(
    body: object, errors: FormErrors, prefix: Path | None = None, *, endpoint: Endpoint | None = None
) -> None:
    """Check a message body; ``prefix`` is where it sits in the request (``["data"]`` in a callback).

    ``endpoint`` picks the settable flags (see SETTABLE_FLAGS). Left out, it is "callback" under the
    ``["data"]`` prefix and otherwise any flag that some message endpoint accepts, so a caller that does not
    say still gets every other rule without false refusals.
    """
    at: Path = [] if prefix is None else list(prefix)
    if body is None:
        return
    message = obj(errors, at, body)
    if message is None:
        return
    if endpoint is None and at == ["data"]:
        endpoint = "callback"
    flags = _check_flags(errors, at, message.get("flags"), endpoint)
    v2 = bool(flags & IS_COMPONENTS_V2)
    if v2:
        # docs/resources/message.mdx, "Create Message" (footnote to flags): with IS_COMPONENTS_V2 a message holds
        # only components. Approximated code (the docs give only the 400 status).
        for key in ("content", "embeds", "sticker_ids", "poll"):
            if message.get(key) is not None:
                errors.add([*at, key], "MESSAGE_COMPONENTS_V2_FIELD_INVALID", "Not allowed with IS_COMPONENTS_V2")
    # docs/resources/message.mdx, "Create Message" / "Edit Message" (content: up to 2000 characters).
    text(errors, [*at, "content"], message.get("content"), 0, 2000, optional=True)
    # docs/resources/message.mdx, "Create Message" (nonce: up to 25 characters; an integer is allowed too).
    if isinstance(message.get("nonce"), str):
        text(errors, [*at, "nonce"], message["nonce"], 0, 25)
    # docs/resources/message.mdx, "Create Message" (sticker_ids: up to 3).
    array(errors, [*at, "sticker_ids"], message.get("sticker_ids"), 0, 3)
    _check_embeds(errors, [*at, "embeds"], message.get("embeds"))
    _check_components(errors, [*at, "components"], message.get("components"), classic=not v2)
    _check_allowed_mentions(errors, [*at, "allowed_mentions"], message.get("allowed_mentions"))
    # docs/resources/message.mdx, "Attachment Structure" (description: max 1024 characters).
    for k, attachment in enumerate(array(errors, [*at, "attachments"], message.get("attachments"), 0, 10**6)):
        if isinstance(attachment, dict):
            text(errors, [*at, "attachments", k, "description"], attachment.get("description"), 0, 1024, optional=True)


def _check_flags(errors: FormErrors, at: Path, value: object, endpoint: Endpoint | None) -> int:
    """The message flags, refused when they set a bit the endpoint does not let apps set."""
    if value is None:
        return 0
    flags = integer(errors, [*at, "flags"], value, 0, 2**63 - 1)
    if flags is None:
        return 0
    settable = ANY_MESSAGE_FLAGS if endpoint is None else SETTABLE_FLAGS[endpoint]
    if settable is not None and flags & ~settable:
        # Approximated code (the docs list the settable flags but not the error).
        errors.add([*at, "flags"], "MESSAGE_FLAGS_INVALID", f"Only flags {settable} can be set here")
    return flags


def _check_embeds(errors: FormErrors, at: Path, value: object) -> None:
    """Embeds: up to 10 per message, the per-field limits and 6000 characters over all of them.

    docs/resources/message.mdx, "Create Message" (embeds: up to 10) and "Embed Limits": limits count text
    without leading and trailing whitespace, and the 6000 total sums title, description, field names and
    values, footer text and author name across all the message's embeds.
    """
    total = 0
    for i, raw in enumerate(array(errors, at, value, 0, 10)):
        here = [*at, i]
        embed = obj(errors, here, raw)
        if embed is None:
            continue
        parts: list[object] = []
        for key, limit in (("title", 256), ("description", 4096)):
            text(errors, [*here, key], embed.get(key), 0, limit, optional=True, strip=True)
            parts.append(embed.get(key))
        for j, raw_field in enumerate(array(errors, [*here, "fields"], embed.get("fields"), 0, 25)):
            field = obj(errors, [*here, "fields", j], raw_field)
            if field is None:
                continue
            for key, limit in (("name", 256), ("value", 1024)):
                # "Embed Field Structure": name and value are required, so blank text is missing text.
                item = field.get(key)
                if isinstance(item, str) and not item.strip():
                    required(errors, [*here, "fields", j, key])
                else:
                    text(errors, [*here, "fields", j, key], item, 1, limit, strip=True)
                parts.append(item)
        # "Embed Footer Structure" (text required) and "Embed Author Structure" (name required).
        for key, inner, limit in (("footer", "text", 2048), ("author", "name", 256)):
            if embed.get(key) is None:
                continue
            part = obj(errors, [*here, key], embed[key])
            if part is not None:
                text(errors, [*here, key, inner], part.get(inner), 0, limit, strip=True)
                parts.append(part.get(inner))
        total += sum(len(p.strip()) for p in parts if isinstance(p, str))
    if total > EMBED_TOTAL:
        # Code as seen in Discord's answers; approximated wording.
        errors.add(at, "MAX_EMBED_SIZE_EXCEEDED", f"Embed size exceeds maximum size of {EMBED_TOTAL}")


def _check_components(errors: FormErrors, at: Path, value: object, *, classic: bool) -> None:
    """Classic layout (up to 5 action rows of 1-5 buttons or one select) and custom_id rules everywhere.

    docs/components/reference.mdx, "Legacy Message Component Behavior" (up to 5 action rows at the top),
    "Action Row", "Button", "String Select" and the other select sections, and "Anatomy of a Component"
    ("Custom ID": max 100 characters, unique within the message).
    """
    components = array(errors, at, value, 0, 5 if classic else 40)
    custom_ids: set[str] = set()
    for i, raw in enumerate(components):
        here = [*at, i]
        row = obj(errors, here, raw)
        if row is None:
            continue
        if classic and row.get("type") != ACTION_ROW:
            # "Action Row": a top-level layout component; in a classic message the only one.
            # Approximated code (the one seen for union-typed fields).
            errors.add([*here, "type"], "UNION_TYPE_CHOICES", 'Value of field "type" must be one of (1,).')
            continue
        if row.get("type") == ACTION_ROW:
            _check_row(errors, here, row, custom_ids)
        else:
            for path, item in _walk(row, here):
                _check_custom_id(errors, path, item, custom_ids)


def _check_row(errors: FormErrors, here: Path, row: dict[str, Any], custom_ids: set[str]) -> None:
    """One action row: 1-5 buttons, or exactly one select menu and nothing beside it."""
    # docs/components/reference.mdx, "Action Row Structure" (components: up to 5 buttons or a single select).
    # An empty row is refused with BASE_TYPE_BAD_LENGTH, as seen in Discord's answers.
    items = array(errors, [*here, "components"], row.get("components"), 1, 5, optional=False)
    has_select = any(isinstance(c, dict) and c.get("type") in SELECTS for c in items)
    for j, raw in enumerate(items):
        path = [*here, "components", j]
        item = obj(errors, path, raw)
        if item is None:
            continue
        ctype = item.get("type")
        # "Action Row": buttons, a select or (in modals only) a text input; Text Input: "only within modals".
        if not one_of(errors, [*path, "type"], ctype, SELECTS | {BUTTON}):
            continue
        if has_select and j > 0:
            # "String Select" (and the other selects): a row with a select holds nothing else. Code as seen in
            # Discord's answers; approximated wording.
            errors.add(path, "COMPONENT_LAYOUT_WIDTH_EXCEEDED", "A row with a select menu holds nothing else")
        if ctype == BUTTON:
            _check_button(errors, path, item)
        else:
            _check_select(errors, path, item)
        _check_custom_id(errors, path, item, custom_ids)


def _check_button(errors: FormErrors, path: Path, button: dict[str, Any]) -> None:
    """docs/components/reference.mdx, "Button Structure" and "Button Styles"."""
    style = button.get("style")
    if not one_of(errors, [*path, "style"], style, BUTTON_STYLES):
        return
    text(errors, [*path, "label"], button.get("label"), 0, 80, optional=True)
    # Which of custom_id, url and sku_id each style needs or forbids (the list under "Button Structure").
    needs = {LINK: "url", PREMIUM: "sku_id"}.get(style, "custom_id")
    forbidden = {
        LINK: ("custom_id", "sku_id"),
        PREMIUM: ("custom_id", "label", "url", "emoji"),
    }.get(style, ("url", "sku_id"))
    # An empty custom_id is left to _check_custom_id(), which reports its length.
    if button.get(needs) is None or (needs != "custom_id" and button.get(needs) == ""):
        required(errors, [*path, needs])
    for key in forbidden:
        if button.get(key) is not None:
            # Approximated code.
            errors.add([*path, key], "BUTTON_COMPONENT_FIELD_INVALID", f"A button of style {style} cannot have {key}")


def _check_select(errors: FormErrors, path: Path, select: dict[str, Any]) -> None:
    """docs/components/reference.mdx, "String Select Structure", "Select Option Structure" and the
    User/Role/Mentionable/Channel Select structures (placeholder max 150, min_values 0-25, max_values up to 25).
    """
    if select.get("custom_id") is None:
        required(errors, [*path, "custom_id"])
    text(errors, [*path, "placeholder"], select.get("placeholder"), 0, 150, optional=True)
    options: list[Any] = []
    if select.get("type") == STRING_SELECT:
        # "String Select Structure": options is required, at most 25. The docs give no minimum; an empty list
        # is refused with BASE_TYPE_BAD_LENGTH, as seen in Discord's answers (min 1 approximated from those).
        options = array(errors, [*path, "options"], select.get("options"), 1, 25, optional=False)
        for k, raw in enumerate(options):
            option = obj(errors, [*path, "options", k], raw)
            if option is None:
                continue
            # "Select Option Structure": label and value required, max 100; description max 100.
            text(errors, [*path, "options", k, "label"], option.get("label"), 1, 100)
            text(errors, [*path, "options", k, "value"], option.get("value"), 1, 100)
            text(errors, [*path, "options", k, "description"], option.get("description"), 0, 100, optional=True)
    # min_values and max_values default to 1.
    lo = 1 if select.get("min_values") is None else integer(errors, [*path, "min_values"], select["min_values"], 0, 25)
    hi = 1 if select.get("max_values") is None else integer(errors, [*path, "max_values"], select["max_values"], 1, 25)
    if lo is not None and hi is not None and lo > hi:
        # Not spelled out in the docs (min and max of one range). Approximated code.
        errors.add([*path, "min_values"], "NUMBER_TYPE_MAX", "min_values must not exceed max_values")
    if options and hi is not None and hi > len(options):
        # Not spelled out in the docs: a string select cannot ask for more picks than it offers. Approximated
        # code.
        errors.add([*path, "max_values"], "NUMBER_TYPE_MAX", "max_values must not exceed the number of options")


def _check_custom_id(errors: FormErrors, path: Path, component: dict[str, Any], seen: set[str]) -> None:
    """docs/components/reference.mdx, "Custom ID": at most 100 characters, unique within the message.

    Code and wording of a duplicate as seen in Discord's answers (discord/discord-api-docs#3673, which also
    shows that disabled components count).
    """
    custom_id = component.get("custom_id")
    if custom_id is None:
        return
    if text(errors, [*path, "custom_id"], custom_id, 1, 100) is None:
        return
    if custom_id in seen:
        errors.add([*path, "custom_id"], "COMPONENT_CUSTOM_ID_DUPLICATED", "Component custom id was already specified")
    seen.add(custom_id)


def _walk(component: dict[str, Any], at: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every component inside a (V2) layout component, with its path, for the custom_id rules."""
    found: list[tuple[Path, dict[str, Any]]] = [(at, component)]
    for j, child in enumerate(component.get("components") or []):
        if isinstance(child, dict):
            found.extend(_walk(child, [*at, "components", j]))
    accessory = component.get("accessory")
    if isinstance(accessory, dict):
        found.extend(_walk(accessory, [*at, "accessory"]))
    return found


def _check_allowed_mentions(errors: FormErrors, at: Path, value: object) -> None:
    """docs/resources/message.mdx, "Allowed Mentions Object".

    ``parse`` holds only "roles", "users" and "everyone"; ``users`` and ``roles`` at most 100 ids each; and
    "users" in ``parse`` excludes a non-empty ``users`` list (same for roles), while an empty list or null is
    fine ("Allowed Mentions Reference"). Code of the exclusion as seen in Discord's answers
    (Mephisto5558/Teufelsbot#287: ``allowed_mentions[MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE]``).
    """
    if value is None:
        return
    mentions = obj(errors, at, value)
    if mentions is None:
        return
    parse = array(errors, [*at, "parse"], mentions.get("parse"), 0, 3)
    for k, kind in enumerate(parse):
        one_of(errors, [*at, "parse", k], kind, MENTION_TYPES)
    for key in ("users", "roles"):
        ids = array(errors, [*at, key], mentions.get(key), 0, 100)
        if ids and key in parse:
            errors.add(
                at,
                "MESSAGE_ALLOWED_MENTIONS_PARSE_EXCLUSIVE",
                f'parse:["{key}"] and {key}: [ids...] exclude each other.',
            )
