"""The house style checker (bot/content_style.py) on questions built to break each rule."""

from __future__ import annotations

from dataclasses import replace

from bot.content import Choice
from bot.content_style import size_problems, style_warnings
from tests.test_content_cues import q

GLOSSARY = {"パラメータ": "パラメーター", "冪等": "べき等"}


def messages(question) -> list[str]:  # type: ignore[no-untyped-def]
    return [p.message for p in style_warnings(question, GLOSSARY)]


def test_a_clean_question_has_no_warning():
    good = q("a", "可視性タイムアウトを延長", "遅延キューを使う", prompt="最も運用負荷が低い方法はどれですか。")
    assert messages(good) == []


def test_each_rule_warns():
    found = messages(
        q(
            "a",
            "パラメータを SSM(Parameter Store)に置く",
            "EC2インスタンスで処理する",
            prompt="処理が重複しないように\nするには何をする",
        )
    )
    assert any("mid-sentence" in m for m in found)
    assert any("half-width bracket" in m for m in found)
    assert any("glossary" in m and "パラメーター" in m for m in found)
    assert any("です/ます" in m for m in found)


def test_latin_and_japanese_need_a_space_and_letters_are_not_named():
    question = q("a", "S3バケットを使う", "DynamoDB を使う", prompt="どれですか。")
    question = replace(question, explanation="選択肢 B は誤りです。")
    found = messages(question)
    assert any("no space between Latin and Japanese" in m for m in found)
    assert any("letter" in m for m in found)


def test_a_multi_select_states_its_count_once():
    multi = q(["a", "b"], "一", "二", "三", prompt="正しいものを 2 つ選択してください。")
    assert messages(multi) == []
    twice = replace(multi, prompt="2 つ選んでください。正しいものを 2 つ選択してください。")
    assert any("once" in m for m in messages(twice))


def test_sizes_a_platform_would_cut_are_errors():
    multi = q(["a", "b"], "一" * 101, "二", "三", prompt="2 つ選択してください。")
    assert [p.field for p in size_problems(multi)] == ["choices.a.text"]
    single = replace(multi, answer=frozenset("a"), choices=(Choice("a", "一" * 101, "x"), *multi.choices[1:]))
    assert size_problems(single) == []


def test_the_glossary_spelling_itself_is_not_a_variant():
    right = q("a", "パラメーターストアを使う", "地理的位置情報ルーティングを使う", prompt="どれですか。")
    glossary = {"パラメータ": "パラメーター", "位置情報ルーティング": "地理的位置情報ルーティング"}
    assert [p.message for p in style_warnings(right, glossary)] == []
    wrong = q("a", "パラメータストアを使う", "位置情報ルーティングを使う", prompt="どれですか。")
    assert len(style_warnings(wrong, glossary)) == 2


def test_lookup_entries_follow_the_same_text_rules():
    from bot.content import LookupEntry
    from bot.content_style import lookup_style_warnings

    entry = LookupEntry("x", "S3バケット", "feature", "s3", (), ("設定(既定)は\n無効",), (), "current", ())
    found = " | ".join(p.message for p in lookup_style_warnings(entry, GLOSSARY))
    for rule in ("Latin and Japanese", "line break inside a bullet", "half-width bracket", "です/ます"):
        assert rule in found


def test_a_name_ending_in_a_letter_is_not_a_choice_letter():
    named = replace(
        q("a", "S3 を使う", "EBS を使う", prompt="どれですか。"), explanation="アカウント B のロールを使います。"
    )
    assert not any("letter" in m for m in messages(named))
    lettered = replace(named, explanation="A は誤りです。")
    assert any("letter" in m for m in messages(lettered))


def _bank_with(tmp_path, edit):  # type: ignore[no-untyped-def]
    """A copy of the fixture bank with the first question's prompt or first choice changed."""
    import shutil

    import yaml

    from tests.conftest import FIXTURE_CONTENT

    root = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, root)
    path = root / "questions" / "sample.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    edit(data["questions"][0])
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return root


def test_content_check_fails_on_a_size_error_and_lists_warnings(tmp_path, capsys):
    from bot.cli import main

    def oversized(question):  # type: ignore[no-untyped-def]
        question["prompt"] = "長い問題文です。" * 400

    assert main(["content", "check", str(_bank_with(tmp_path / "a", oversized))]) == 1
    assert "prompt: 3200 characters; at most 2000" in capsys.readouterr().err

    def unstyled(question):  # type: ignore[no-untyped-def]
        question["prompt"] = "SQSで処理中のメッセージを隠す設定は\nどれか。"

    unstyled_bank = _bank_with(tmp_path / "b", unstyled)
    assert main(["content", "check", str(unstyled_bank)]) == 0
    out = capsys.readouterr()
    assert "house-style warning(s)" in out.err and "mid-sentence" in out.err and "style warning(s)" in out.out
    assert main(["content", "check", "--warnings-as-errors", str(unstyled_bank)]) == 1
