"""The Markdown practice-question parser on the shapes Japanese and English study repositories use
(our own test files, tests/fixtures/importing/)."""

from __future__ import annotations

from pathlib import Path

from bot.importing.markdown import parse
from bot.importing.records import ImportOptions
from tests.import_support import FIXTURES

OPTIONS = ImportOptions(pack="team")


def questions(path: Path) -> list[dict]:
    return [q.data for q in parse(path, OPTIONS).questions]


def write(tmp_path: Path, text: str, name: str = "q.md") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_japanese_file_with_scenario_parts_details_and_per_choice_notes():
    found = parse(FIXTURES / "dva-practice-ja.md", OPTIONS)
    assert found.problems == []
    first, second, third, fourth = (q.data for q in found.questions)
    assert [q.place for q in found.questions] == ["line 7", "line 35", "line 54", "line 73"]
    # シナリオ: / 質問: parts become the prompt without their labels; trailing spaces and <br> end choices
    assert first["prompt"].startswith("ある EC サイトは")
    assert first["prompt"].endswith("最も簡単に重複処理を減らす方法はどれですか。")
    assert "シナリオ" not in first["prompt"] and "質問:" not in first["prompt"]
    assert [c["text"] for c in first["choices"]] == [
        "可視性タイムアウトを処理時間より長くする",
        "キューを削除して作り直す",
        "メッセージ保持期間を 1 分にする",
        "ロングポーリングを無効にする",
    ]
    # the answer and explanation hidden in <details>; 選択肢 A: … notes are the choices' explanations
    assert first["answer"] == ["a"]
    assert first["explanation"] == "可視性タイムアウトの間、受信されたメッセージはほかのコンシューマーから見えません。"
    assert first["choices"][2]["explanation"] == "保持期間は可視性とは関係がなく、メッセージを失うだけです。"
    # the heading above is the topic; the file's top heading names the exam
    assert first["source"] == {"section": "Amazon SQS"}
    assert first["exams"] == ["DVA-C02"]
    # `### 問題2: タイトル`, `- A) …` choices, `解答: A) <choice text>` inside <details> without blank lines
    assert second["source"] == {"section": "デッドレターキュー"}
    assert [c["text"] for c in second["choices"]] == ["デッドレターキュー", "遅延キュー", "FIFO キュー"]
    assert second["answer"] == ["a"]
    assert second["explanation"] == "maxReceiveCount を超えたメッセージがデッドレターキューに移されます。"
    assert all(c["explanation"] == "" for c in second["choices"])
    # **問題3：…** opener, plain bullets with ✅ marks, 正解：A, B, a code fence kept in the explanation
    assert third["prompt"].startswith("DynamoDB のテーブルで") and "（2 つ選択）" in third["prompt"]
    assert third["answer"] == ["a", "b"]
    assert [c["text"] for c in third["choices"]][:2] == [
        "グローバルセカンダリインデックス",
        "ローカルセカンダリインデックス",
    ]
    assert "- GSI はテーブル作成後にも追加できます。" in third["explanation"]
    assert "aws dynamodb update-table" in third["explanation"]
    assert third["source"] == {"section": "Amazon DynamoDB"}
    # 答え: A after a --- section
    assert fourth["answer"] == ["a"] and fourth["choices"][0]["text"] == "ConsistentRead"


def test_english_file_with_answer_lines_check_marks_and_choose_two():
    found = parse(FIXTURES / "saa-questions-en.md", OPTIONS)
    assert found.problems == []
    first, second = (q.data for q in found.questions)
    assert first["exams"] == ["SAA-C03"] and first["source"] == {"section": "Route 53"}
    assert first["answer"] == ["a"]
    assert first["explanation"].startswith("Latency-based routing answers")
    assert first["choices"][1]["explanation"] == "simple routing has no notion of latency."
    assert first["choices"][0]["explanation"] == ""
    assert second["answer"] == ["a", "b"]
    assert second["source"] == {"section": "health checks"}
    assert [c["text"] for c in second["choices"]] == [
        "Health checks",
        "Failover routing policy",
        "Private hosted zones",
        "Alias records to S3 only",
    ]


def test_each_broken_question_is_reported_with_its_line_and_the_good_ones_kept():
    found = parse(FIXTURES / "broken-dva.md", OPTIONS)
    reasons = {p.place: p.reason for p in found.problems}
    assert set(reasons) == {"line 16", "line 32", "line 47"}
    assert "no answer" in reasons["line 16"]
    assert "E is not among the choices" in reasons["line 32"]
    assert "no explanation" in reasons["line 47"]
    # the two good ones (one is a duplicate, which the importer drops: see test_import.py)
    assert [q.place for q in found.questions] == ["line 5", "line 36"]


def test_answer_shapes(tmp_path):
    text = """
### Question 1
Which two services store messages for later processing? Choose two.

A) Amazon SQS
B) Amazon SNS FIFO topics with no subscribers
C) Amazon Kinesis Data Streams
D) Amazon Route 53

**Answer: A, C**

**Explanation:** Both keep records until a consumer reads them.

### 問題 2
SQS の長所はどれですか。
- A. 疎結合
- B. 強い順序保証

正解: A

説明: 標準キューは順序を保証しません。

### 問題 3
答え方の違う問題はどれですか。
A. ひとつめ
B. ふたつめ
C. みっつめ

答え: A と C

解説: 二つ選ぶ問題です。
"""
    found = parse(write(tmp_path, text), OPTIONS)
    assert found.problems == []
    assert [q.data["answer"] for q in found.questions] == [["a", "c"], ["a"], ["a", "c"]]
    assert found.questions[1].data["explanation"] == "標準キューは順序を保証しません。"


def test_count_in_the_prompt_must_match_the_answer(tmp_path):
    text = """
### 問題 1
正しいものを 2 つ選択してください。

A. ひとつめ
B. ふたつめ
C. みっつめ

解答: A

解説: ひとつしか書いていません。
"""
    found = parse(write(tmp_path, text), OPTIONS)
    assert found.questions == []
    assert "asks for 2 choices but the answer names 1" in found.problems[0].reason


def test_marks_and_answer_line_that_disagree_are_reported(tmp_path):
    text = """
### 問題 1
どれですか。

- A. ひとつめ ✓
- B. ふたつめ

解答: B

解説: 食い違っています。
"""
    found = parse(write(tmp_path, text), OPTIONS)
    assert found.questions == [] and "disagree" in found.problems[0].reason


def test_bullets_before_lettered_choices_stay_in_the_prompt(tmp_path):
    text = """
### 問題 1
要件は次のとおりです。

- 運用負荷が低いこと
- 追加のコードが不要なこと

どの方法が最適ですか。

A. 方法その一
B. 方法その二

解答: B

解説: 要件を満たすのはその二です。
"""
    (q,) = questions(write(tmp_path, text))
    assert [c["text"] for c in q["choices"]] == ["方法その一", "方法その二"]
    assert "- 運用負荷が低いこと" in q["prompt"] and "どの方法が最適ですか。" in q["prompt"]


def test_sections_without_question_headings(tmp_path):
    text = """
# 練習

## Amazon DynamoDB

Q. DynamoDB の読み込みを安くする方法はどれですか。

A. 結果整合性の読み込みを使う
B. 強い整合性の読み込みを使う

解答: A

解説: 結果整合性の読み込みは半分の容量で済みます。

---

DynamoDB のキーはどれですか。

A. パーティションキー ✅
B. 暗号化キー

解説: テーブルはパーティションキーで項目を分散します。
"""
    first, second = questions(write(tmp_path, text))
    assert first["prompt"] == "DynamoDB の読み込みを安くする方法はどれですか。"
    assert first["source"] == {"section": "Amazon DynamoDB"}
    assert second["answer"] == ["a"] and second["choices"][0]["text"] == "パーティションキー"


def test_html_with_scripts_keeps_only_the_text(tmp_path):
    text = """
### 問題 1
どれですか。<script>alert("x")</script>

A. ひとつめ <img src=x onerror="alert(1)">
B. ふたつめ

<details><summary>解答</summary>
<script>document.cookie</script>
解答: A
</details>

<div onclick="steal()">解説: 安全なテキストだけが残ります。<style>body{}</style></div>
"""
    (q,) = questions(write(tmp_path, text))
    everything = repr(q)
    for word in ("alert", "cookie", "onerror", "steal", "script", "body{}", "<"):
        assert word not in everything, word
    assert q["answer"] == ["a"] and q["explanation"] == "安全なテキストだけが残ります。"


def test_headings_and_rules_inside_code_fences_are_not_structure(tmp_path):
    text = """
### 問題 1
このテンプレートの誤りはどれですか。

```yaml
# not a heading
---
- A. not a choice
```

A. 型が違う
B. 名前が違う

解答: A

解説: 型が違います。
"""
    (q,) = questions(write(tmp_path, text))
    assert "# not a heading" in q["prompt"]
    assert [c["text"] for c in q["choices"]] == ["型が違う", "名前が違う"]


def test_answer_under_its_own_heading_or_in_the_summary(tmp_path):
    text = """
## Amazon SQS

### 問題 1
全角の選択肢はどれですか。

Ａ．ひとつめ
Ｂ．ふたつめ

#### 正解

Ｂ

#### 解説

全角でも読めます。

### 問題 2
要約に答えがある問題はどれですか。

- A. ひとつめ
- B. ふたつめ

<details><summary>解答: A</summary>

解説: summary に書かれた答えです。

</details>
"""
    first, second = questions(write(tmp_path, text))
    assert [c["text"] for c in first["choices"]] == ["ひとつめ", "ふたつめ"]
    assert first["answer"] == ["b"] and first["explanation"] == "全角でも読めます。"
    assert second["answer"] == ["a"] and second["explanation"] == "summary に書かれた答えです。"


def test_question_in_the_heading_with_task_list_choices(tmp_path):
    text = """
## 確認問題

### Q1: DynamoDB で項目の変更を順に受け取れる機能は？
- [ ] A. DynamoDB Streams
- [ ] B. DAX
- [ ] C. TTL

<details>
<summary>解答</summary>

**正解: A**

説明:
- Streams: 変更を時系列で流します。
- DAX: 読み込みのキャッシュです。
</details>

### Q2: 作成時にだけ定義できるインデックスは？
- [x] A. LSI
- [ ] B. GSI

<details><summary>解答</summary>

解説: LSI はテーブル作成時に定義します。

</details>
"""
    first, second = questions(write(tmp_path, text))
    assert first["prompt"] == "DynamoDB で項目の変更を順に受け取れる機能は？"
    assert first["source"] == {"section": "確認問題"}
    assert [c["text"] for c in first["choices"]] == ["DynamoDB Streams", "DAX", "TTL"]
    assert first["answer"] == ["a"]
    assert first["explanation"] == "- Streams: 変更を時系列で流します。\n- DAX: 読み込みのキャッシュです。"
    assert second["answer"] == ["a"]  # the [x] task mark


def test_numbered_paragraph_openers_without_headings(tmp_path):
    text = """
質問#1 トピック2

SQS の標準キューで、メッセージが重複して届くことはありますか。

- A. ある
- B. ない

**正解：** A [🗳️](https://example.com/vote)

**解説:**
標準キューは少なくとも 1 回の配信です。

質問#2 トピック2

FIFO キューの 1 秒あたりの上限を上げる機能はどれですか。

- A. 高スループットモード
- B. 可視性タイムアウト

**正解：** A

**解説:**
高スループットモードで上限が上がります。
"""
    first, second = questions(write(tmp_path, text))
    assert first["answer"] == ["a"] and first["explanation"] == "標準キューは少なくとも 1 回の配信です。"
    assert first["prompt"].startswith("SQS の標準キューで") and first["source"] == {"section": "トピック2"}
    assert second["choices"][0]["text"] == "高スループットモード"


def test_questions_run_together_without_openers_or_rules(tmp_path):
    text = """
## Amazon SQS

SQS の標準キューの配信はどれですか。

A. 少なくとも 1 回
B. ちょうど 1 回

解答: A

解説: 重複があり得ます。

FIFO キューの配信はどれですか。

A. ちょうど 1 回の処理
B. 順序なし

解答: A

解説: 重複排除と順序があります。
"""
    first, second = questions(write(tmp_path, text))
    assert first["prompt"] == "SQS の標準キューの配信はどれですか。" and first["explanation"] == "重複があり得ます。"
    assert second["prompt"] == "FIFO キューの配信はどれですか。" and second["answer"] == ["a"]
