"""The App Home tab: a person's own stats and streak, and the workspace's weekly top 10.

Slack sends `app_home_opened` when someone opens the app's Home tab and shows whatever view the app last
published for them with `views.publish` (https://docs.slack.dev/surfaces/app-home and
https://docs.slack.dev/reference/events/app_home_opened). A Home view holds up to 100 blocks
(https://docs.slack.dev/reference/block-kit/blocks); everything from people is escaped like in messages.
"""

from __future__ import annotations

from typing import Any

from adapters.slack.blocks import Block, bold, markup, plain
from adapters.slack.escape import escape, fit
from bot.core import Leaderboard
from bot.i18n import t
from bot.render import leaderboard_text, stats_text
from bot.stats import UserStats

HEADER_TEXT = 150  # https://docs.slack.dev/reference/block-kit/blocks/header-block
VIEW_BLOCKS = 100


def home_view(stats: UserStats, board: Leaderboard, prefix: str) -> dict[str, Any]:
    locale = stats.locale
    title, *lines = stats_text(stats).split("\n")
    board_title, *rows = leaderboard_text(board).split("\n")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": fit(escape(t(locale, "home.title")), HEADER_TEXT)}},
        *plain(t(locale, "home.hint", p=prefix)),
        {"type": "divider"},
        markup(bold(title)),
        *plain("\n".join(lines)),
        {"type": "divider"},
        markup(bold(board_title)),
        *plain("\n".join(rows)),
    ]
    return {"type": "home", "blocks": blocks[:VIEW_BLOCKS]}
