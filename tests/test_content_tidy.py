"""`studybot content tidy`: the mechanical house-style rules applied to the YAML text, never changing
what a text says."""

from __future__ import annotations

import shutil

from bot.cli import main
from bot.content import load_content
from bot.content_style import check_style
from bot.content_tidy import tidy_text, tidy_yaml
from tests.conftest import FIXTURE_CONTENT


def test_brackets_and_spacing():
    assert tidy_text("SSM(Parameter Store)にEC2の値を置く") == "SSM（Parameter Store）に EC2 の値を置く"
    assert tidy_text("既定は300秒(5分)") == "既定は 300 秒（5 分）"
    assert tidy_text("Fn::GetAtt(Res, Arn) returns it") == "Fn::GetAtt(Res, Arn) returns it"  # no Japanese
    assert tidy_text("関数 f(x) を呼ぶ") == "関数 f(x) を呼ぶ"  # code beside spaces stays


def test_sentences_broken_across_lines_are_joined_and_paragraphs_kept():
    source = "questions:\n  - prompt: |\n      ある会社は\n      S3 を使っています。\n\n      どれですか。\n    answer: [a]\n"
    assert tidy_yaml(source) == (
        "questions:\n  - prompt: |\n      ある会社は S3 を使っています。\n\n      どれですか。\n    answer: [a]\n"
    )
    listed = "x:\n  - summary: |\n      手順:\n      - 一つ目\n      - 二つ目\n"
    assert tidy_yaml(listed) == listed


def test_tidy_writes_only_what_keeps_the_meaning_and_clears_the_warnings(tmp_path, capsys):
    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    sample = root / "questions" / "sample.yaml"
    sample.write_text(
        sample.read_text(encoding="utf-8").replace(
            "SQS の設定はどれですか。", "SQSの設定(キュー単位)は\n      どれですか。"
        ),
        encoding="utf-8",
    )
    _, before = check_style(load_content(root), root)
    assert before
    assert main(["content", "tidy", "--dry-run", str(root)]) == 0
    assert "would tidy" in capsys.readouterr().out and "SQSの設定" in sample.read_text(encoding="utf-8")
    assert main(["content", "tidy", str(root)]) == 0
    _, after = check_style(load_content(root), root)
    assert len(after) < len(before)
    assert "SQS の設定（キュー単位）" in load_content(root).questions["t-sqs-visibility"].prompt
