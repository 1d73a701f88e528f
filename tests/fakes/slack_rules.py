"""The Block Kit rules real Slack applies to message and view payloads, for the loopback fake in slack_api.py.

A fake that accepts what Slack refuses lets a broken layout pass every test and fail in the workspace, so
each rule here sits next to the page of Slack's documentation that states it. Slack refuses a bad layout
with HTTP 200 and ``{"ok": false, "error": "invalid_blocks", "errors": ["<what> [json-pointer:/blocks/0/..]"]}``
(https://docs.slack.dev/reference/methods/chat.postMessage, "Errors"), and an over-long ``text`` with
``msg_too_long``.

One rule is the fake's own and stricter than Slack, which does not refuse it but silently drops or mangles
the text: a raw ``&``, ``<`` or ``>`` outside Slack's control sequences. Slack's formatting guide says these
three characters must be sent as ``&amp;``, ``&lt;`` and ``&gt;``
(https://docs.slack.dev/messaging/formatting-message-text#escaping). The fake answers that with the error
``unescaped_text`` so that a test sees it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

# https://docs.slack.dev/reference/block-kit/blocks: "You can include up to 50 blocks in each message, and
# 100 blocks in modals or Home tabs."
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
# https://docs.slack.dev/reference/methods/chat.postMessage ("Truncating content"): text over 40,000
# characters is refused with msg_too_long.
MESSAGE_TEXT = 40_000
# https://docs.slack.dev/reference/block-kit/blocks/section-block: text up to 3,000 characters; fields up
# to 10 items of up to 2,000 characters each; block_id up to 255 characters.
SECTION_TEXT = 3000
SECTION_FIELDS = 10
FIELD_TEXT = 2000
BLOCK_ID = 255
# https://docs.slack.dev/reference/block-kit/blocks/header-block: plain_text only, up to 150 characters.
HEADER_TEXT = 150
# https://docs.slack.dev/reference/block-kit/blocks/actions-block: up to 25 interactive elements.
ACTIONS_ELEMENTS = 25
# https://docs.slack.dev/reference/block-kit/blocks/context-block: up to 10 image or text elements.
CONTEXT_ELEMENTS = 10
# https://docs.slack.dev/reference/block-kit/block-elements/button-element: text plain_text up to 75,
# action_id up to 255, url up to 3,000, value up to 2,000 characters; style "primary" or "danger".
BUTTON_TEXT = 75
ACTION_ID = 255
BUTTON_URL = 3000
BUTTON_VALUE = 2000
BUTTON_STYLES = {"primary", "danger"}
# https://docs.slack.dev/reference/block-kit/composition-objects/option-object: text up to 75 characters,
# value up to 150 characters.
OPTION_TEXT = 75
OPTION_VALUE = 150
# https://docs.slack.dev/reference/block-kit/block-elements/checkboxes-element: up to 10 options.
CHECKBOX_OPTIONS = 10
# https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element: up to 100 options,
# placeholder plain_text up to 150 characters.
SELECT_OPTIONS = 100
PLACEHOLDER_TEXT = 150
# https://docs.slack.dev/reference/views/modal-views: title plain_text up to 24 characters.
MODAL_TITLE = 24
# https://docs.slack.dev/reference/block-kit/composition-objects/text-object: "type" is plain_text or
# mrkdwn, "text" at least 1 character; "emoji" only with plain_text; "verbatim" only with mrkdwn.
TEXT_TYPES = {"plain_text", "mrkdwn"}

KNOWN_BLOCKS = {"section", "actions", "context", "header", "divider", "image", "input", "rich_text", "markdown"}
SELECTS = {"static_select", "multi_static_select"}

# https://docs.slack.dev/messaging/formatting-message-text: the control sequences that a raw < opens
# (mentions <@U..>/<@W..>, channels <#C..>, special mentions <!here> <!channel> <!everyone>, user groups
# <!subteam^S..>, dates <!date^..>, links <https://..|text> and <mailto:..>), and the three entities.
CONTROL = re.compile(
    r"<(?:@[UW][A-Z0-9]+|#C[A-Z0-9]+|![a-z]+(?:\^[^>|]*)?|(?:https?://|mailto:)[^\s<>|]+)(?:\|[^<>]*)?>"
)
ENTITY = re.compile(r"&(?:amp|lt|gt);")


def unescaped(text: str) -> str | None:
    """The first raw control character outside a control sequence or entity, if any."""
    rest = ENTITY.sub("", CONTROL.sub("", text))
    for char in "&<>":
        if char in rest:
            return char
    return None


class Problems:
    """Collects Slack-style error strings, each naming its place with a JSON pointer."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unescaped: list[str] = []

    def add(self, message: str, pointer: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")


def _text_object(
    problems: Problems,
    obj: Any,
    pointer: str,
    limit: int,
    plain_only: bool = False,
) -> None:
    if not isinstance(obj, dict):
        problems.add("must be a text object", pointer)
        return
    kind = obj.get("type")
    if kind not in TEXT_TYPES:
        problems.add("must be one of plain_text, mrkdwn", f"{pointer}/type")
        return
    if plain_only and kind != "plain_text":
        problems.add("must be plain_text", f"{pointer}/type")
    if "emoji" in obj and kind != "plain_text":
        problems.add("emoji is only allowed on plain_text", f"{pointer}/emoji")
    if "verbatim" in obj and kind != "mrkdwn":
        problems.add("verbatim is only allowed on mrkdwn", f"{pointer}/verbatim")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.add("must be at least 1 character", f"{pointer}/text")
        return
    if len(text) > limit:
        problems.add(f"must be less than {limit + 1} characters", f"{pointer}/text")
    char = unescaped(text)
    if char is not None:
        problems.unescaped.append(f"raw {char!r} outside a control sequence [json-pointer:{pointer}/text]")


def _length(problems: Problems, value: Any, pointer: str, limit: int, required: bool = False) -> None:
    if value is None:
        if required:
            problems.add("is required", pointer)
        return
    if not isinstance(value, str) or not value:
        problems.add("must be a non-empty string", pointer)
    elif len(value) > limit:
        problems.add(f"must be less than {limit + 1} characters", pointer)


def _options(problems: Problems, options: Any, pointer: str, limit: int, plain_only: bool = False) -> None:
    if not isinstance(options, list) or not options:
        problems.add("must provide at least 1 item", pointer)
        return
    if len(options) > limit:
        problems.add(f"must provide no more than {limit} items", pointer)
    values = set()
    for i, option in enumerate(options):
        at = f"{pointer}/{i}"
        if not isinstance(option, dict):
            problems.add("must be an option object", at)
            continue
        _text_object(problems, option.get("text"), f"{at}/text", OPTION_TEXT, plain_only)
        _length(problems, option.get("value"), f"{at}/value", OPTION_VALUE, required=True)
        if option.get("value") in values:
            # https://docs.slack.dev/reference/block-kit/composition-objects/option-object: the value
            # identifies the option in the payload; two alike could not be told apart.
            problems.add("duplicate option value", f"{at}/value")
        values.add(option.get("value"))


def _element(problems: Problems, element: Any, pointer: str, action_ids: set[str]) -> None:
    if not isinstance(element, dict):
        problems.add("must be an element object", pointer)
        return
    kind = element.get("type")
    action_id = element.get("action_id")
    _length(problems, action_id, f"{pointer}/action_id", ACTION_ID)
    if isinstance(action_id, str):
        # https://docs.slack.dev/reference/block-kit/block-elements/button-element: action_id "should be
        # unique among all other action_ids in the containing block".
        if action_id in action_ids:
            problems.add("duplicate action_id", f"{pointer}/action_id")
        action_ids.add(action_id)
    if kind == "button":
        _text_object(problems, element.get("text"), f"{pointer}/text", BUTTON_TEXT, plain_only=True)
        _length(problems, element.get("value"), f"{pointer}/value", BUTTON_VALUE)
        _length(problems, element.get("url"), f"{pointer}/url", BUTTON_URL)
        if "style" in element and element["style"] not in BUTTON_STYLES:
            problems.add("must be one of primary, danger", f"{pointer}/style")
    elif kind == "checkboxes":
        _options(problems, element.get("options"), f"{pointer}/options", CHECKBOX_OPTIONS)
    elif kind in SELECTS:
        # https://docs.slack.dev/reference/block-kit/composition-objects/option-object: the text "must be
        # plain_text" in select menus (mrkdwn is allowed only in radio buttons and checkboxes).
        _options(problems, element.get("options"), f"{pointer}/options", SELECT_OPTIONS, plain_only=True)
        if "placeholder" in element:
            _text_object(problems, element["placeholder"], f"{pointer}/placeholder", PLACEHOLDER_TEXT, True)
    else:
        problems.add(f"unsupported element type {kind!r}", f"{pointer}/type")


def _block(problems: Problems, block: Any, pointer: str, block_ids: set[str]) -> None:
    if not isinstance(block, dict):
        problems.add("must be a block object", pointer)
        return
    kind = block.get("type")
    if kind not in KNOWN_BLOCKS:
        problems.add(f"unsupported block type {kind!r}", f"{pointer}/type")
        return
    block_id = block.get("block_id")
    _length(problems, block_id, f"{pointer}/block_id", BLOCK_ID)
    if isinstance(block_id, str):
        # https://docs.slack.dev/reference/block-kit/blocks/section-block: block_id "should be unique for
        # each message and each iteration of a message"; Slack refuses a repeated one.
        if block_id in block_ids:
            problems.add("duplicate block_id", f"{pointer}/block_id")
        block_ids.add(block_id)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            problems.add("must provide text or fields", pointer)
        if "text" in block:
            _text_object(problems, block["text"], f"{pointer}/text", SECTION_TEXT)
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                problems.add("must provide at least 1 item", f"{pointer}/fields")
            else:
                if len(fields) > SECTION_FIELDS:
                    problems.add(f"must provide no more than {SECTION_FIELDS} items", f"{pointer}/fields")
                for i, field in enumerate(fields):
                    _text_object(problems, field, f"{pointer}/fields/{i}", FIELD_TEXT)
        if "accessory" in block:
            _element(problems, block["accessory"], f"{pointer}/accessory", set())
    elif kind == "header":
        _text_object(problems, block.get("text"), f"{pointer}/text", HEADER_TEXT, plain_only=True)
    elif kind == "actions":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.add("must provide at least 1 item", f"{pointer}/elements")
            return
        if len(elements) > ACTIONS_ELEMENTS:
            problems.add(f"must provide no more than {ACTIONS_ELEMENTS} items", f"{pointer}/elements")
        action_ids: set[str] = set()
        for i, element in enumerate(elements):
            _element(problems, element, f"{pointer}/elements/{i}", action_ids)
    elif kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            problems.add("must provide at least 1 item", f"{pointer}/elements")
            return
        if len(elements) > CONTEXT_ELEMENTS:
            problems.add(f"must provide no more than {CONTEXT_ELEMENTS} items", f"{pointer}/elements")
        for i, element in enumerate(elements):
            if isinstance(element, dict) and element.get("type") == "image":
                continue
            # Context text objects have no documented length of their own; a section's 3,000 is used.
            _text_object(problems, element, f"{pointer}/elements/{i}", SECTION_TEXT)


def check_blocks(blocks: Any, limit: int, pointer: str = "/blocks") -> Problems:
    problems = Problems()
    if not isinstance(blocks, list):
        problems.add("must be an array", pointer)
        return problems
    if len(blocks) > limit:
        problems.add(f"must provide no more than {limit} items", pointer)
    block_ids: set[str] = set()
    for i, block in enumerate(blocks):
        _block(problems, block, f"{pointer}/{i}", block_ids)
    return problems


def _answer(problems: Problems) -> dict[str, Any] | None:
    if problems.errors:
        return {"ok": False, "error": "invalid_blocks", "errors": problems.errors}
    if problems.unescaped:
        return {"ok": False, "error": "unescaped_text", "errors": problems.unescaped}
    return None


def check_message(body: dict[str, Any]) -> dict[str, Any] | None:
    """chat.postMessage, chat.update, chat.postEphemeral and response_url bodies: None when Slack takes it,
    else Slack's error answer."""
    text = body.get("text")
    blocks = body.get("blocks")
    # https://docs.slack.dev/reference/methods/chat.postMessage: text, blocks or attachments is required
    # (error no_text).
    if not text and not blocks and not body.get("attachments"):
        return {"ok": False, "error": "no_text"}
    if isinstance(text, str) and len(text) > MESSAGE_TEXT:
        return {"ok": False, "error": "msg_too_long"}
    problems = check_blocks(blocks, MESSAGE_BLOCKS) if blocks is not None else Problems()
    if isinstance(text, str):
        char = unescaped(text)
        if char is not None:
            problems.unescaped.append(f"raw {char!r} outside a control sequence [json-pointer:/text]")
    return _answer(problems)


def check_view(view: Any, kind: str) -> dict[str, Any] | None:
    """views.publish (kind "home") and views.open (kind "modal"):
    https://docs.slack.dev/reference/views/home-tab-views and .../modal-views."""
    if not isinstance(view, dict) or view.get("type") != kind:
        # https://docs.slack.dev/reference/methods/views.publish: error invalid_arguments for a bad view.
        return {"ok": False, "error": "invalid_arguments", "response_metadata": {"messages": [f"view must be {kind}"]}}
    problems = check_blocks(view.get("blocks"), VIEW_BLOCKS, "/view/blocks")
    if kind == "modal":
        _text_object(problems, view.get("title"), "/view/title", MODAL_TITLE, plain_only=True)
    return _answer(problems)


def iter_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Every text a person would read in `blocks`: tests search them for what a user was shown."""
    for block in blocks:
        for key in ("text",):
            if isinstance(block.get(key), dict):
                yield block[key]["text"]
        for field in block.get("fields", []):
            yield field["text"]
        for element in block.get("elements", []):
            if "text" in element and isinstance(element["text"], dict):
                yield element["text"]["text"]
            elif element.get("type") in TEXT_TYPES:
                yield element["text"]
