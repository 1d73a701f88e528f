"""The answer-giveaway measures of bot/content_cues.py, on questions built to carry each cue."""

from __future__ import annotations

from bot.content import Choice, Question, Source
from bot.content_cues import measure, question_flags


def q(answer: str | list[str], *texts: str, prompt: str = "どれですか。") -> Question:
    ids = "abcdef"[: len(texts)]
    return Question(
        id=f"q-{len(texts)}-{texts[0]}",
        lang="ja",
        exams=("DVA-C02",),
        services=("sqs",),
        difficulty=1,
        prompt=prompt,
        choices=tuple(Choice(i, t, "解説") for i, t in zip(ids, texts, strict=True)),
        answer=frozenset([answer] if isinstance(answer, str) else answer),
        explanation="解説",
        source=Source("s", "x"),
    )


def test_a_long_answer_among_short_distractors_is_flagged():
    cued = q("a", "可視性タイムアウトを処理時間より長く設定する", "遅延キュー", "短いポーリング")
    fair = q("a", "可視性タイムアウトを延長", "配信遅延の秒数を延ばす設定", "ロングポーリングにする")
    assert "answer strictly longest" in question_flags(cued)
    assert question_flags(fair) == []
    cues = measure([cued, fair])
    assert cues.correct_strictly_longest == 0.5 and cues.pick_longest_wins == 0.5


def test_whitespace_does_not_count_and_ties_do_not_win():
    tied = q("a", "ＡＢＣ", "ＤＥＦ", "Ｇ Ｈ")  # equal once spaces go
    assert not measure([tied]).pick_longest_wins
    assert measure([tied]).median_length_ratio == 1.2  # 3 against the mean of 3 and 2


def test_multi_select_cues():
    cued = q(["a", "b"], "長い正解の選択肢その一", "長い正解の選択肢その二", "短い", "短め")
    fair = q(["a", "c"], "正解の選択肢その一", "誤りの選択肢その一", "正解の選択肢二", "誤りの選択肢その二")
    cues = measure([cued, fair])
    assert cues.multi_all_correct_longer == 0.5 and cues.pick_longest_wins == 0.5
    assert "every answer longer than every distractor" in question_flags(cued)


def test_a_prompt_term_repeated_only_by_the_answer_is_flagged():
    cued = q(
        "b",
        "CloudWatch で監視する",
        "DeadLetterQueue を設定する",
        "再試行を増やす",
        prompt="SQS の DeadLetterQueue とは",
    )
    assert any("deadletterqueue" in flag for flag in question_flags(cued))
    assert measure([cued]).prompt_term_only_in_answers == 1.0
    assert measure([cued]).breaches()


def test_an_answer_that_is_never_the_longest_is_a_cue_too():
    never_longest = [
        q("a", f"短い答え{i}", "ずっと長い誤った選択肢です", "これも長い誤った選択肢です") for i in range(10)
    ]
    cues = measure(never_longest)
    assert cues.correct_strictly_longest == 0 and cues.correct_strictly_shortest == 1
    breaches = " ".join(cues.breaches())
    assert "correct_strictly_longest 0.00 outside 0.10-0.30" in breaches and "correct_strictly_shortest" in breaches
