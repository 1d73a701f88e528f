from adapters.discord.adapter import DiscordAdapter

__all__ = ["DiscordAdapter"]
