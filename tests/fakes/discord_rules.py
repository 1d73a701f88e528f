"""The validation rules real Discord applies to request bodies, for the loopback fake in discord_api.py.

The fake must refuse what Discord refuses: an earlier fake accepted a command upload Discord rejected, and the
bot could not start on Discord while every test passed. Each rule sits, with a comment citing its source in
Discord's documentation (github.com/discord/discord-api-docs), in one of three modules:

- discord_form: the 50035 "Invalid Form Body" error object (FormErrors) and the shared typed checks;
- discord_command_rules: bulk overwrite of application commands, and autocomplete results;
- discord_message_rules: message bodies (create, edit, interaction callbacks, followups, webhook edits).

This module is the one place the fake imports them from.

Dependency: command names are matched with the ``regex`` package, added to the ``dev`` extra, because
Discord's documented naming pattern uses ``\\p{L}``, ``\\p{N}``, ``\\p{sc=Deva}`` and ``\\p{sc=Thai}``; ``re`` has no
``\\p{...}``, and rebuilding the two script classes from ``unicodedata`` (which knows no scripts) would mean
hand-kept code point ranges that drift from Unicode. See discord_command_rules for the details.
"""

from tests.fakes.discord_command_rules import check_autocomplete, check_commands, slash_name_ok
from tests.fakes.discord_form import FormErrors
from tests.fakes.discord_message_rules import Endpoint, check_message

__all__ = ["Endpoint", "FormErrors", "check_autocomplete", "check_commands", "check_message", "slash_name_ok"]
