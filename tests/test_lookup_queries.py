"""The shipped lookup, asked what learners type (tests/fixtures/lookup_queries.yaml): every query must
reach its entry first, so a feature is found on its own entry and not on the service it belongs to."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.content import load_content
from bot.lookup import LookupIndex, LookupResult

ROOT = Path(__file__).parent.parent
QUERIES = yaml.safe_load((Path(__file__).parent / "fixtures" / "lookup_queries.yaml").read_text(encoding="utf-8"))[
    "queries"
]


@pytest.fixture(scope="module")
def index() -> LookupIndex:
    return LookupIndex(load_content(ROOT / "content").entries)


def first(result: LookupResult) -> str | None:
    """The entry a learner sees first: the one match, or the top of the short list."""
    if result.entry is not None:
        return result.entry.id
    return result.choices[0].id if result.choices else None


def test_the_query_file_is_large_and_has_no_duplicates():
    queries = [q["q"] for q in QUERIES]
    assert len(queries) >= 300
    assert len(set(queries)) == len(queries), [q for q in queries if queries.count(q) > 1]


def test_every_expected_entry_exists(index):
    missing = sorted({q["id"] for q in QUERIES} - set(index.entries))
    assert not missing


@pytest.mark.parametrize("query, expected", [(q["q"], q["id"]) for q in QUERIES], ids=[q["q"] for q in QUERIES])
def test_query_reaches_its_entry_first(index, query, expected):
    result = index.find(query)
    assert first(result) == expected, (
        f"{query!r}: got {first(result)!r} (choices {[e.id for e in result.choices]}), want {expected!r}"
    )


def test_a_vendor_prefix_is_not_a_word_to_match(index):
    assert index.find("Amazon ECS").entry.id == "ecs"  # not every "Amazon ..." entry
    assert index.find("ＡＷＳ　ＣＤＫ").entry.id == "cdk"  # full-width, ideographic space


def test_a_partial_hit_lists_the_closest_name_first(index):
    result = index.find("Endpoint")  # a word of many names; "VPC Endpoint" is the shortest
    assert result.entry is None and result.choices[0].id == "vpc-endpoints"


def test_features_are_not_aliases_of_their_service(index):
    """A feature's own name finds the feature: the parent service entry does not carry it."""
    for service, feature in [
        ("sqs", "デッドレターキュー"),
        ("sqs", "Long Polling"),
        ("dynamodb", "Global Tables"),
        ("rds", "Multi-AZ"),
        ("vpc", "セキュリティグループ"),
        ("codebuild", "buildspec"),
        ("codedeploy-lifecycle-hooks", "appspec"),
    ]:
        assert feature not in index.entries[service].aliases, (service, feature)
        assert index.find(feature).entry.service == index.entries[service].service, feature


def test_a_service_name_then_its_term_finds_the_term_of_that_service(index):
    assert index.find("s3 署名付き url").entry.id == "s3-presigned-urls"
    assert index.find("sqs 可視性").entry.id == "sqs-visibility-timeout"
    # the term must belong to the named service: Route 53's health checks are not found under ELB
    assert index.find("elb ヘルスチェック").entry.id == "elb-health-checks"
