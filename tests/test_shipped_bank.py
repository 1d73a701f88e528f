"""The shipped bank against the targets of issue 13: it does not give its answers away, it is written in
one house style, it states the deciding constraint in most prompts, and it covers the notes' topics."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from bot.config import PROJECT_ROOT
from bot.content import load_content
from bot.content_cues import measure
from bot.content_style import check_style

SHIPPED = PROJECT_ROOT / "content"
BANK = load_content(SHIPPED)
# The exams' own ways of stating what decides between several workable designs.
CONSTRAINT = re.compile(
    r"最も(?!適切|よ|良|妥当|正し|ふさわし)|最小限|最小の|できるだけ|なるべく|(変更|修正)(を加え)?(せず|することなく)|"
    r"運用(負荷|上の負担|上のオーバーヘッド)|ダウンタイム|(費用|コスト)を(抑え|かけず|最小)|最短"
)


def test_the_bank_does_not_give_its_answers_away():
    cues = measure(BANK.questions.values())
    assert cues.breaches() == [], cues  # bot/content_cues.py TARGETS: lengths about chance, no shared terms


def test_the_bank_is_in_one_house_style():
    errors, warnings = check_style(BANK, SHIPPED)
    assert [str(p) for p in errors] == []
    assert [str(p) for p in warnings] == []


def test_at_least_half_of_the_prompts_state_the_deciding_constraint():
    stated = [q.id for q in BANK.questions.values() if CONSTRAINT.search(q.prompt)]
    assert len(stated) / len(BANK.questions) >= 0.5


def test_the_bank_is_big_enough_and_every_question_has_a_primary_service():
    assert len(BANK.questions) >= 550
    assert all(q.services for q in BANK.questions.values())


# Facts per topic in the notes (../shared/SEEDS.md, counted once and kept here so the test is
# self-contained): each needs at least 0.8 questions whose primary service it is.
FACTS = {
    "cloudformation": 30, "systems-manager": 15, "opsworks": 10, "config": 8, "cloudtrail": 8,
    "trusted-advisor": 6, "application-auto-scaling": 5, "service-catalog": 3, "health": 2,
    "codedeploy": 18, "codebuild": 12, "codepipeline": 10, "codecommit": 4, "x-ray": 4, "codestar": 3,
    "ec2": 35, "elastic-beanstalk": 22, "ec2-auto-scaling": 18, "lambda": 8, "outposts": 2,
    "ecs": 12, "eks": 3, "elb": 28, "api-gateway": 24, "route53": 10, "global-accelerator": 2,
    "sqs": 16, "sns": 8, "step-functions": 4, "ses": 4, "mq": 2, "swf": 2,
    "dynamodb": 30, "aurora": 18, "rds": 10, "elasticache": 10,
    "kinesis-data-streams": 15, "kinesis-data-firehose": 6,
    "efs": 12, "s3": 7, "ebs": 5, "storage-gateway": 4, "backup": 3, "transfer-family": 2,
}  # fmt: skip
GROUPS = {  # topics the notes count together
    ("cloudwatch", "eventbridge"): 14,
    ("vpc", "site-to-site-vpn", "direct-connect"): 10,
    ("emr", "glue", "data-pipeline", "dms"): 4,
    ("kms", "cognito", "secrets-manager", "inspector", "iam", "sts", "macie", "guardduty", "acm"): 22,
}


TOPICS = [((s,), n) for s, n in FACTS.items()] + list(GROUPS.items())


@pytest.mark.parametrize("services,facts", TOPICS, ids=["+".join(services) for services, _ in TOPICS])
def test_each_topic_of_the_notes_is_covered(services, facts):
    primary = Counter(q.services[0] for q in BANK.questions.values())
    assert sum(primary[s] for s in services) >= 0.8 * facts
