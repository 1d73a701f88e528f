from adapters.discord.adapter import DiscordAdapter
from adapters.discord.runner import DiscordRunner

__all__ = ["DiscordAdapter", "DiscordRunner"]
