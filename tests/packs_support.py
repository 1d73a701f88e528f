"""A content folder with packs for the pack tests: the fixture bank (the pack `core`) plus `team`, a
team's own pack with questions, a lookup entry and sources of its own, and `deck`, an imported pack
whose choices have no explanations (pack.yaml says so)."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

from tests.conftest import FIXTURE_CONTENT

TEAM_QUESTIONS = ("team-sqs-dlq", "team-sqs-fifo")


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def team_pack(folder: Path) -> None:
    write(
        folder / "pack.yaml",
        """
        title: Team SQS drills
        language: en
        licence: CC BY 4.0
        source: our wiki
        """,
    )
    write(
        folder / "sources.yaml",
        """
        sources:
          - id: team-wiki
            title: Team wiki
        """,
    )
    write(
        folder / "drills.yaml",
        """
        questions:
          - id: team-sqs-dlq
            lang: en
            exams: [DVA-C02]
            services: [sqs]
            difficulty: 1
            prompt: Where do messages go after too many failed receives?
            choices:
              - {id: a, text: A dead-letter queue, explanation: The redrive policy moves them there.}
              - {id: b, text: A delay queue, explanation: That delays delivery of new messages.}
            answer: [a]
            explanation: A redrive policy moves a message to the dead-letter queue after maxReceiveCount.
            source: {seed: team-wiki, section: SQS}
          - id: team-sqs-fifo
            lang: en
            exams: [DVA-C02]
            services: [sqs]
            difficulty: 2
            prompt: Which queue type keeps the order of messages in a group?
            choices:
              - {id: a, text: Standard queue, explanation: Best-effort ordering only.}
              - {id: b, text: FIFO queue, explanation: Ordered within a message group.}
            answer: [b]
            explanation: FIFO queues keep order within each message group.
            source: {seed: team-wiki, section: SQS}
        """,
    )
    write(
        folder / "lookup" / "terms.yaml",
        """
        entries:
          - id: team-redrive
            term: Redrive policy
            kind: feature
            service: sqs
            aliases: [redrive]
            summary: [Moves failing messages to a dead-letter queue.]
            sources: [{seed: team-wiki, section: SQS}]
        """,
    )


def deck_pack(folder: Path) -> None:
    write(
        folder / "pack.yaml",
        """
        title: Imported deck
        language: ja
        licence: ""
        source: deck.apkg
        imported: true
        sources:
          - {id: deck.apkg, title: Imported deck}
        """,
    )
    write(
        folder / "questions.yaml",
        """
        questions:
          - id: deck-route53-failover
            lang: ja
            exams: [SAA-C03]
            services: [route53]
            difficulty: 1
            prompt: プライマリが異常なときにセカンダリへ切り替えるルーティングポリシーはどれですか。
            choices:
              - {id: a, text: フェイルオーバールーティング, explanation: ""}
              - {id: b, text: 加重ルーティング, explanation: 重みで分散する方式です。}
              - {id: c, text: 位置情報ルーティング}
            answer: [a]
            explanation: フェイルオーバールーティングはヘルスチェックに従って切り替えます。
            choice_explanations: false
            source: {seed: deck.apkg, section: Route 53}
        """,
    )


def packed_content(root: Path, *, deck: bool = True) -> Path:
    """A copy of the fixture bank with the packs beside it, under `root`."""
    target = root / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    team_pack(target / "packs" / "team")
    if deck:
        deck_pack(target / "packs" / "deck")
    return target
