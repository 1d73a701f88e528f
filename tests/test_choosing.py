"""Which questions a filter offers."""

from __future__ import annotations

from dataclasses import replace


def test_a_service_filter_prefers_questions_about_that_service(content):
    gsi = content.questions["t-dynamodb-gsi"]
    about_lambda = replace(gsi, id="t-lambda", services=("lambda", "dynamodb"))
    content.questions[about_lambda.id] = about_lambda
    content.questions["t-dynamodb-gsi"] = replace(gsi, services=("dynamodb", "lambda"))
    assert [q.id for q in content.matching(service="lambda")] == ["t-lambda"]
    assert {q.id for q in content.matching(service="dynamodb")} >= {"t-dynamodb-gsi"}
    assert "t-lambda" not in {q.id for q in content.matching(service="dynamodb")}
