"""Loading packs: every pack is loaded and validated beside the shipped bank, each question and lookup
entry knows its pack, an id belongs to one pack, and pack.yaml is checked like any content file."""

from __future__ import annotations

import shutil

import pytest

from bot.cli import content_signature
from bot.content import ContentError, load_content
from bot.content_style import check_style
from bot.models import PostResults
from bot.packs import CORE
from bot.render import reveal_text
from tests.packs_support import packed_content, write


def problems_of(content_dir) -> list[str]:
    with pytest.raises(ContentError) as err:
        load_content(content_dir)
    return [str(p) for p in err.value.problems]


def test_every_pack_is_loaded_and_each_entry_knows_its_pack(tmp_path):
    bank = load_content(packed_content(tmp_path))
    assert list(bank.packs) == [CORE, "deck", "team"]
    team = bank.packs["team"]
    assert (team.title, team.language, team.licence, team.source) == ("Team SQS drills", "en", "CC BY 4.0", "our wiki")
    assert (team.questions, team.entries, team.imported) == (2, 1, False)
    assert bank.packs["deck"].imported and bank.packs["deck"].questions == 1
    assert bank.questions["team-sqs-dlq"].pack == "team"
    assert bank.questions["t-sqs-visibility"].pack == CORE
    assert bank.entries["team-redrive"].pack == "team" and bank.entries["sqs"].pack == CORE
    assert bank.questions["team-sqs-dlq"].source.title == "Team wiki"  # the pack's own sources.yaml
    only_team = bank.only(frozenset({"team"}))
    assert set(only_team.questions) == {"team-sqs-dlq", "team-sqs-fifo"} and set(only_team.entries) == {"team-redrive"}


def test_a_question_id_in_two_packs_names_both(tmp_path):
    content = packed_content(tmp_path)
    text = (content / "packs" / "team" / "drills.yaml").read_text().replace("team-sqs-fifo", "t-cfn-retain")
    (content / "packs" / "team" / "drills.yaml").write_text(text)
    found = problems_of(content)
    assert len(found) == 1
    assert "t-cfn-retain" in found[0] and "pack 'team'" in found[0] and "pack 'core'" in found[0]
    assert "questions/sample.yaml" in found[0]


def test_a_lookup_id_in_two_packs_names_both(tmp_path):
    content = packed_content(tmp_path)
    path = content / "packs" / "team" / "lookup" / "terms.yaml"
    path.write_text(path.read_text().replace("team-redrive", "sqs-visibility-timeout"))
    (found,) = problems_of(content)
    assert "pack 'team'" in found and "pack 'core'" in found


def test_bad_packs_are_reported_all_at_once(tmp_path):
    content = packed_content(tmp_path)
    packs = content / "packs"
    (packs / "nometa").mkdir()
    write(packs / "nometa" / "q.yaml", "questions: []\n")
    write(packs / "Bad Name" / "pack.yaml", "title: x\nlanguage: ja\n")
    write(packs / "core" / "pack.yaml", "title: x\nlanguage: ja\n")
    write(packs / "wrong" / "pack.yaml", "title: ''\nlanguage: fr\nimported: maybe\nlicence: [1]\n")
    write(packs / "wrong" / "q.yaml", "questions: []\n")
    write(packs / "empty" / "pack.yaml", "title: Empty\nlanguage: ja\n")
    write(packs / "README.md", "not a pack\n")  # a file beside the packs is not one
    found = "\n".join(problems_of(content))
    assert "packs/nometa/pack.yaml: missing" in found
    assert "packs/Bad Name: a pack's folder name must match" in found
    assert "packs/core: 'core' is the shipped bank" in found
    assert "packs/wrong/pack.yaml: title: required text" in found
    assert "packs/wrong/pack.yaml: language: must be one of ja, en" in found
    assert "packs/wrong/pack.yaml: imported: must be true or false" in found
    assert "packs/wrong/pack.yaml: licence: must be text" in found
    assert "packs/empty: no question or lookup files" in found


def test_choices_without_explanations_only_where_the_pack_says_so(tmp_path):
    content = packed_content(tmp_path)
    bank = load_content(content)
    question = bank.questions["deck-route53-failover"]
    assert [c.explanation for c in question.choices] == ["", "重みで分散する方式です。", ""]
    assert question.source.title == "Imported deck"  # declared under pack.yaml's sources:
    text = reveal_text(question, PostResults(answered=0, correct=0, by_choice={}), "ja")
    assert (
        "⭕ A. フェイルオーバールーティング（0）\n❌ B. 加重ルーティング（0）\n   重みで分散する方式です。\n❌ C."
        in text
    )

    meta = content / "packs" / "deck" / "pack.yaml"
    meta.write_text(meta.read_text().replace("imported: true", "imported: false"))
    found = "\n".join(problems_of(content))
    assert "deck-route53-failover: choice_explanations: only imported packs may leave choices unexplained" in found
    assert "deck-route53-failover: choices[0].explanation: every choice needs its own explanation" in found
    assert "deck-route53-failover: choices[2].explanation: every choice needs its own explanation" in found


def test_a_source_must_be_declared_in_the_pack_or_the_bank(tmp_path):
    content = packed_content(tmp_path)
    (content / "packs" / "team" / "sources.yaml").unlink()
    found = problems_of(content)
    assert len(found) == 3 and all("'team-wiki' is not a source declared" in p for p in found)


def test_house_style_is_the_shipped_banks_only(tmp_path):
    bank = load_content(packed_content(tmp_path))
    _, warnings = check_style(bank, tmp_path / "content")
    assert not [w for w in warnings if "packs/" in w.file]  # English drills are not held to です/ます


def test_the_watcher_sees_a_pack_come_and_go(tmp_path):
    content = packed_content(tmp_path)
    before = content_signature(content)
    shutil.rmtree(content / "packs" / "deck")
    gone = content_signature(content)
    assert gone != before
    write(content / "packs" / "team" / "more.yaml", "questions: []\n")
    assert content_signature(content) != gone
