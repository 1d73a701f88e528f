"""Which packs each community draws from, and the admin commands that switch them (bot/packs.py holds
the rule and the reasons for the default).

Every place that picks a question or finds a term for a community goes through `content_for`: the
daily post, practice, lookup, filters, and anything choosing from the bank later (a review queue) that
takes its bank from here. A view is built once per set of packs and shared by every community with
that set, until the content is reloaded.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.commands import UserError
from bot.content import ContentBank
from bot.i18n import t
from bot.lookup import LookupIndex
from bot.models import Community
from bot.packs import CORE, PackState, enabled_packs, pack_states

if TYPE_CHECKING:
    from bot.core import Actor, StudyBot

log = logging.getLogger("studybot.packs")
# A pack list is one chat message: Discord shows 2,000 characters, so it is cut to this, with a count
# (leaving room for Discord's command mentions, which are longer than the commands they replace).
LIST_CHARS = 1600
TITLE_CHARS = 60
# A community's switches are read again after this many seconds: lookup autocomplete asks on every
# keystroke and must not queue behind a burst of answers in the database, and another process sharing the
# database sees a switch made there within this time (this process sees its own at once).
SWITCHES_TTL = 10.0
SWITCHES_KEPT = 10_000
KNOWN_SHOWN = 20  # pack names an unknown name's reply offers instead


@dataclass(frozen=True)
class CommunityContent:
    """What one community draws from: the bank and lookup index of its packs that are loaded."""

    bank: ContentBank
    index: LookupIndex
    packs: frozenset[str]  # switched on and loaded
    missing: tuple[str, ...]  # switched on, but no longer in the content (removed from disk)


class CommunityPacks:
    def __init__(self, bot: StudyBot):
        self.bot = bot
        self._views: dict[frozenset[str], CommunityContent] = {}
        self._built_from: object = None  # the bank the views were cut from
        self._switches: dict[int, tuple[float, dict[str, bool]]] = {}  # community id -> (read at, switches)
        self.switches_ttl = SWITCHES_TTL
        self.monotonic = time.monotonic  # what the cache's age is measured with (tests move it by hand)

    def reloaded(self) -> None:
        """The content changed: views are built again from it on next use."""
        self._views.clear()

    async def switches(self, community_id: int) -> dict[str, bool]:
        now = self.monotonic()
        kept = self._switches.get(community_id)
        if kept is not None and now - kept[0] < self.switches_ttl:
            return dict(kept[1])
        switches = await self.bot.storage.pack_switches(community_id)
        if len(self._switches) >= SWITCHES_KEPT:
            self._switches.clear()
        self._switches[community_id] = (now, switches)
        return dict(switches)

    async def content_for(self, community: Community) -> CommunityContent:
        switches = await self.switches(community.id)
        on = enabled_packs(switches)
        if self._built_from is not self.bot.content:  # replaced without reloaded(): views of the old bank go
            self._views.clear()
            self._built_from = self.bot.content
        loaded = self.bot.content.packs
        available = frozenset(p for p in on if p in loaded)
        missing = tuple(sorted(on - available))
        view = self._views.get(available)
        if view is None:
            if len(self._views) > 1000:  # as many sets as communities choose: bounded all the same
                self._views.clear()
            bank = self.bot.content.only(available)
            view = self._views[available] = CommunityContent(bank, LookupIndex(bank.entries), available, ())
        return CommunityContent(view.bank, view.index, view.packs, missing) if missing else view

    async def of(self, actor: Actor) -> list[PackState]:
        """Every pack with this community's switch, unchecked (for autocompleting pack names)."""
        ctx = await self.bot.context(actor)
        return pack_states(self.bot.content.packs, await self.switches(ctx.community.id))

    async def states(self, actor: Actor) -> tuple[str, list[PackState]]:
        """(locale, every pack with this community's switch), for admins."""
        ctx = await self.bot.context(actor)
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        switches = await self.bot.storage.pack_switches(ctx.community.id)  # what the database says now
        return ctx.locale, pack_states(self.bot.content.packs, switches)

    async def switch(self, actor: Actor, name: str, on: bool) -> tuple[str, list[PackState]]:
        """Switch a pack on or off here. Only loaded packs can be switched on; a vanished one can be
        switched off (tidying up); the last pack on with questions stays on, so practice keeps working."""
        ctx = await self.bot.context(actor)
        if not actor.is_admin:
            raise UserError("daily.admin_only")
        name = name.strip().lower()
        if not name:
            raise UserError("packs.usage")
        loaded = self.bot.content.packs
        switches = await self.bot.storage.pack_switches(ctx.community.id)
        current = enabled_packs(switches)
        if name not in loaded and not (name in current and not on):
            names = sorted(loaded, key=lambda n: (n != CORE, n))
            known = ", ".join(names[:KNOWN_SHOWN]) + (" …" if len(names) > KNOWN_SHOWN else "")
            raise UserError("packs.unknown", name=name[:60], known=known)
        if not on and name in current and name in loaded and loaded[name].questions:
            if not any(loaded[p].questions for p in current - {name} if p in loaded):
                raise UserError("packs.last_one", name=name)
        await self.bot.storage.switch_pack(ctx.community.id, name, on, ctx.user.id, self.bot.now().timestamp())
        self._switches.pop(ctx.community.id, None)
        log.info(
            "community %s: pack %s switched %s by user %s", ctx.community.id, name, "on" if on else "off", ctx.user.id
        )
        switches[name] = on
        return ctx.locale, pack_states(loaded, switches)


def packs_text(states: list[PackState], locale: str, prefix: str = "/") -> str:
    """The packs as one message: on or off, title, language and size; a vanished pack that is on says so."""
    lines = [t(locale, "packs.title")]
    for state in states:
        if state.pack is None:
            lines.append(t(locale, "packs.line_missing", name=state.name, a=prefix))
            continue
        pack = state.pack
        title = pack.title if len(pack.title) <= TITLE_CHARS else pack.title[: TITLE_CHARS - 1] + "…"
        key = "packs.line_on" if state.on else "packs.line_off"
        lines.append(
            t(
                locale,
                key,
                name=pack.name,
                title=title,
                language=pack.language,
                questions=pack.questions,
                entries=pack.entries,
            )
        )
    footer = t(locale, "packs.hint", a=prefix)
    shown: list[str] = []
    used = len(footer) + 40  # room for the "and N more" line
    for line in lines:
        if used + len(line) + 1 > LIST_CHARS:
            shown.append(t(locale, "packs.more", count=len(lines) - len(shown)))
            break
        shown.append(line)
        used += len(line) + 1
    return "\n".join([*shown, footer])
