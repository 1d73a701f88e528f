"""Looking up a term: exact, width/case-insensitive, partial, a list for several hits, suggestions for none."""

from __future__ import annotations

import pytest

from bot.commands import UserError
from bot.lookup import LookupIndex
from bot.render import lookup_text
from tests.conftest import actor


@pytest.fixture
def index(content):
    return LookupIndex(content.entries)


def test_exact_alias(index):
    assert index.find("GSI").entry.id == "dynamodb-gsi"
    assert index.find("可視性タイムアウト").entry.id == "sqs-visibility-timeout"


def test_case_and_width_insensitive(index):
    assert index.find("ｇｓｉ").entry.id == "dynamodb-gsi"  # full-width
    assert index.find("ddb").entry.id == "dynamodb"
    assert index.find("dynamodb").entry.id == "dynamodb"  # "Amazon DynamoDB" without the vendor prefix


def test_partial_match_across_languages(index):
    assert index.find("タイムアウト").entry.id == "sqs-visibility-timeout"
    assert index.find("Secondary").entry.id == "dynamodb-gsi"


def test_several_hits_give_a_short_list(index):
    result = index.find("s")
    assert result.entry is None
    assert 2 <= len(result.choices) <= 8
    assert "件見つかりました" in lookup_text(result, "ja")


def test_spaces_hyphens_case_and_one_typo_are_forgiven(index):
    for query in ("Dynamo DB", "dynamo-db", "DYNAMODB", "dynamodbb", "dyanmodb", "ｄｙｎａｍｏ ｄｂ"):
        assert index.find(query).entry.id == "dynamodb", query
    assert index.find("dynamodbx").entry.id == "dynamodb"  # one letter replaced
    assert index.find("ddx").entry is None  # too short to guess at


def test_partial_matches_start_at_a_word(index):
    assert index.find("Index").entry.id == "dynamodb-gsi"  # a word of "Global Secondary Index"
    assert index.find("ndex").entry is None  # inside a word: no
    assert index.find("ynamo").entry is None


def test_no_hit_suggests_close_terms(index):
    result = index.find("dynmodbxx")
    assert result.entry is None and result.choices == ()
    assert result.suggestions and result.suggestions[0].id == "dynamodb"
    assert "もしかして" in lookup_text(result, "ja")
    assert "Did you mean" in lookup_text(result, "en")


def test_entry_text_shows_summary_related_and_legacy(index):
    text = lookup_text(index.find("DynamoDB"), "ja")
    assert "キーバリュー" in text and "関連: グローバルセカンダリインデックス" in text
    assert "提供終了" in lookup_text(index.find("OpsWorks"), "ja")


def test_autocomplete(index):
    assert [e.id for e in index.complete("dyn")][:2] == ["dynamodb", "dynamodb-gsi"]


async def test_empty_query_is_a_usage_message(bot):
    with pytest.raises(UserError) as err:
        await bot.lookup(actor(), "   ")
    assert err.value.key == "lookup.usage"
