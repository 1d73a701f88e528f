"""Charts and the weekly recap on Slack, uploaded with files_upload_v2 (scope files:write).

slack_sdk's files_upload_v2 does Slack's three steps: files.getUploadURLExternal (a URL and a file id
for the name and size), a POST of the bytes to that URL, and files.completeUploadExternal, which shares
the file in a channel (https://docs.slack.dev/reference/methods/files.completeUploadExternal). A
slash command's reply is ephemeral and cannot carry a file, and personal stats do not belong in the
channel, so /study stats and /study leaderboard send their chart to the person's direct message with
the bot (conversations.open, scope im:write). The recap is one channel message: its blocks and the chart.
"""

from __future__ import annotations

import json
import logging

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.blocks import bold, markup, plain
from adapters.slack.escape import escape, fit
from adapters.slack.posting import CHANNEL_GONE, GONE_REASON, post_message
from bot.chart_data import ChartImage
from bot.daily_posts import ChannelUnavailable
from bot.recaps import Recap, recap_text

log = logging.getLogger("studybot.slack")
ALT_TEXT = 1000  # files.getUploadURLExternal: alt_txt up to 1,000 characters (alt_txt_too_large)


async def upload(
    client: AsyncWebClient, channel: str, chart: ChartImage, blocks: list[dict[str, object]] | None = None
) -> str:
    """Share the chart in `channel` (with `blocks` as its message); the file's id."""
    response = await client.files_upload_v2(
        channel=channel,
        file=chart.png,
        filename=chart.filename,
        title=chart.alt[:250],
        alt_txt=chart.alt[:ALT_TEXT],
        **({"blocks": json.dumps(blocks)} if blocks else {}),
    )
    return str(response.get("file", {}).get("id", ""))


async def send_chart_to_dm(client: AsyncWebClient, user_id: str, chart: ChartImage) -> bool:
    """The chart in the person's direct message with the bot; False (logged) when that failed."""
    try:
        dm = await client.conversations_open(users=user_id)
        await upload(client, dm["channel"]["id"], chart)
    except SlackApiError as exc:
        log.warning("could not send a chart to %s: %s", user_id, exc.response.get("error", exc))
        return False
    return True


def recap_blocks(recap: Recap) -> list[dict[str, object]]:
    title, *rest = recap_text(recap).split("\n")
    return [markup(bold(title)), *plain("\n".join(rest))]


async def send_recap(client: AsyncWebClient, channel: str, recap: Recap) -> str:
    """The recap in the channel: blocks and chart in one upload, or the blocks alone without a chart."""
    blocks = recap_blocks(recap)
    try:
        if recap.chart is None:
            return await post_message(client, channel, text=fit(escape(recap_text(recap)), 3000), blocks=blocks)
        return await upload(client, channel, recap.chart, blocks)
    except SlackApiError as exc:
        error = exc.response.get("error", "")
        if error in CHANNEL_GONE:
            raise ChannelUnavailable(f"Slack channel {channel}: {error}", GONE_REASON.get(error, "gone")) from exc
        raise
