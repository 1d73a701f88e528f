"""CSV / TSV with a header row and Anki's text export, imported into a pack through the real importer:
questions and lookup entries written, every row that is not importable reported by file and line, HTML
turned into text, and bad files (wrong kind, too large, undecodable) refused without touching the pack."""

from __future__ import annotations

import shutil
import time
import zipfile
from pathlib import Path

import pytest
import yaml

from bot.content import load_content
from bot.importing import ImportOptions, import_files
from bot.importing.pack_check import load_pack

FIXTURE_CONTENT = Path(__file__).parent / "fixtures" / "content"
META = {"licence": "CC BY 4.0", "source": "written for the tests"}


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURE_CONTENT, target)
    return target


def run(content_dir: Path, *files: Path, pack: str = "team", **options: str):
    report = import_files(content_dir, list(files), ImportOptions(pack=pack, **options), meta=META)
    return report, load_pack(content_dir / "packs" / pack, load_content(content_dir))


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


CSV = """prompt,choice_a,choice_b,choice_c,choice_d,answer,explanation,exam,services
"DynamoDB で強い整合性の読み込みを 1 秒に 10 回、4 KB の項目で行います。必要な RCU はどれですか。",5,10,20,40,B,"強い整合性は 4 KB ごとに 1 RCU です。",DVA-C02,dynamodb
"SQS の可視性タイムアウトについて正しいものを 2 つ選択してください。","メッセージを一時的に見えなくする","メッセージを削除する","処理時間より長く設定する","最大 1 年まで設定できる","A, C","可視性タイムアウトの基本です。",dva,sqs
"壊れた行",x,y,,,Z,説明,DVA-C02,sqs
"DynamoDB で強い整合性の読み込みを 1 秒に 10 回、4 KB の項目で行います。必要な RCU はどれですか。",5,10,20,40,B,"強い整合性は 4 KB ごとに 1 RCU です。",DVA-C02,dynamodb
"Route 53 で 2 つのリージョンに振り分けたい。","加重ルーティング","シンプルルーティング",,,A,"加重で割合を決めます。",,route53
"""


def test_csv_rows_become_questions_and_the_rest_is_reported_by_line(content_dir: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "practice.csv", CSV)
    report, pack = run(content_dir, source, exam="SAA-C03")
    lines = "\n".join(report.lines())
    assert "practice.csv: 3 question(s) imported" in lines, lines
    assert "practice.csv line 4: the answer 'Z' names no choice" in lines, lines
    assert "practice.csv line 5: the same question as at line 2; left out" in lines, lines
    by_prompt = {q.prompt[:8]: q for q in pack.questions.values()}
    rcu, sqs, route = by_prompt["DynamoDB"], by_prompt["SQS の可視性"], by_prompt["Route 53"]
    assert [c.text for c in rcu.choices] == ["5", "10", "20", "40"] and rcu.answer == {"b"}
    assert rcu.exams == ("DVA-C02",) and rcu.services == ("dynamodb",)
    assert sqs.answer == {"a", "c"} and sqs.exams == ("DVA-C02",)  # "dva" is the exam's code
    assert route.exams == ("SAA-C03",)  # no exam in the row: --exam
    assert not rcu.choice_explanations  # the CSV explains the answer, not each choice
    assert all(c.explanation == "" for c in rcu.choices)


def test_tsv_with_japanese_headers_choice_explanations_and_answer_by_text(content_dir: Path, tmp_path: Path) -> None:
    source = write(
        tmp_path / "dop.tsv",
        "問題\t選択肢A\t選択肢B\t選択肢C\t正解\t解説\t解説A\t解説B\t解説C\tサービス\tトピック\n"
        "CloudFormation スタックの削除でデータベースを残す方法はどれですか。\tDeletionPolicy: Retain\t"
        "UpdateReplacePolicy: Delete\tスタックポリシー\tDeletionPolicy: Retain\t属性で残します。\t正しい。\t違う。\t"
        "違う。\tcloudformation\t削除ポリシー\n",
    )
    report, pack = run(content_dir, source)
    assert not report.problems, report.lines()
    (q,) = pack.questions.values()
    assert q.exams == ("DOP-C02",)  # from the file's name
    assert q.answer == {"a"} and q.choice_explanations
    assert [c.explanation for c in q.choices] == ["正しい。", "違う。", "違う。"]
    assert q.source.section == "削除ポリシー"


def test_html_cells_become_text_scripts_dropped_and_aws_angle_brackets_kept(content_dir: Path, tmp_path: Path) -> None:
    source = write(
        tmp_path / "html.csv",
        "prompt,choice_a,choice_b,answer,explanation,exam,services\n"
        '"<div>CloudFormation の<b>パラメータ</b><script>alert(1)</script></div><div>型はどれですか。</div>",'
        '"AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",'
        '"<img src=x onerror=alert(2)>String<a href=""javascript:alert(3)"">型</a>",A,"<style>b{}</style>最新 AMI",'
        "DOP-C02,cloudformation\n",
    )
    report, pack = run(content_dir, source)
    assert not report.problems, report.lines()
    (q,) = pack.questions.values()
    assert [line for line in q.prompt.splitlines() if line] == ["CloudFormation のパラメータ", "型はどれですか。"]
    assert q.choices[0].text == "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>"  # not a tag: kept
    assert q.choices[1].text == "String型"
    assert q.explanation == "最新 AMI"
    dumped = ""
    for path in (content_dir / "packs" / "team" / "questions").glob("*.yaml"):
        dumped += path.read_text(encoding="utf-8")
    assert "alert" not in dumped and "<script" not in dumped and "javascript" not in dumped


ANKI_TEXT = (
    "#separator:tab\n"
    "#html:true\n"
    "#tags:aws DOP-C02\n"
    "#guid column:1\n"
    "#columns:guid\tQuestion\tChoice A\tChoice B\tChoice C\tAnswer\tExplanation\n"
    "g1\tSQS のメッセージを<br>処理中に隠す設定はどれですか。\t可視性タイムアウト\t遅延キュー\t"
    "ロングポーリング\tA\t&lt;VisibilityTimeout&gt; で設定します。\n"
    "# a comment line, as Anki allows\n"
    "g2\t\t\t\t\tA\t空\n"
)


def test_anki_text_export_with_headers(content_dir: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "deck.txt", ANKI_TEXT)
    report, pack = run(content_dir, source)
    lines = "\n".join(report.lines())
    assert "deck.txt: 1 question(s) imported" in lines, lines
    assert "deck.txt line 8: " in lines, lines  # the empty note, by its line
    (q,) = pack.questions.values()
    assert q.prompt == "SQS のメッセージを\n処理中に隠す設定はどれですか。"
    assert q.explanation == "<VisibilityTimeout> で設定します。"  # an escaped < is text
    assert q.exams == ("DOP-C02",) and q.services == ("sqs",)  # exam from #tags, service from the prompt


def test_anki_text_front_back_notes_become_lookup_entries(content_dir: Path, tmp_path: Path) -> None:
    source = write(
        tmp_path / "terms.txt",
        "#separator:Semicolon\n#html:false\n"
        "Amazon SQS の可視性タイムアウト;受信したメッセージを一定時間ほかの受信者から隠します。\n"
        'DynamoDB GSI;"別のキーで検索できる索引です。\n書き込みキャパシティを別に持ちます。"\n',
    )
    report, pack = run(content_dir, source)
    assert not report.problems, report.lines()
    entries = {e.term: e for e in pack.entries.values()}
    assert entries["DynamoDB GSI"].summary == ("別のキーで検索できる索引です。", "書き込みキャパシティを別に持ちます。")
    assert entries["DynamoDB GSI"].service == "dynamodb"


def test_shift_jis_csv_is_read_and_said(content_dir: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "sjis.csv", CSV.split("\n", 3)[0] + "\n" + CSV.split("\n")[1] + "\n", encoding="cp932")
    report, pack = run(content_dir, source)
    assert "read as Shift_JIS" in "\n".join(report.lines())
    (q,) = pack.questions.values()
    assert q.prompt.startswith("DynamoDB で強い整合性")


def refused(content_dir: Path, path: Path) -> str:
    """The import of a bad file next to a good one: the good one goes in, the bad one is refused whole."""
    good = write(path.parent / "good.csv", CSV.split("\n", 2)[0] + "\n" + CSV.split("\n")[1] + "\n")
    report = import_files(content_dir, [good, path], ImportOptions(pack="team"), meta=META)
    bad = next(f for f in report.files if f.name == path.name)
    assert bad.refused and bad.questions == 0, report.lines()
    return str(bad.problems[0])


def test_bad_files_are_refused_with_the_reason(content_dir: Path, tmp_path: Path) -> None:
    with zipfile.ZipFile(tmp_path / "zipped.csv", "w") as z:
        z.writestr("x.csv", CSV)
    assert "zipped.csv: not text: this is a zip archive" in refused(content_dir, tmp_path / "zipped.csv")
    latin = write(tmp_path / "latin.csv", "prompt,choice_a\ncaf\xe9 cr\xe8me,\xe0\n", encoding="latin-1")
    assert "save it as UTF-8" in refused(content_dir, latin)
    rows = CSV.split("\n")
    quote = write(tmp_path / "quote.csv", f'{rows[0]}\n{rows[1]}\n"never closed,a,b,c,d,A,x,DVA-C02,sqs\n{rows[2]}\n')
    report = import_files(content_dir, [quote], ImportOptions(pack="other"), meta=META)
    lines = "\n".join(report.lines())
    assert "quote.csv: 1 question(s) imported" in lines, lines
    assert "quote.csv line 3: not readable as comma-separated text" in lines, lines
    header = write(tmp_path / "noheader.csv", "1,2,3\n4,5,6\n")
    assert "line 1 is not a header row" in refused(content_dir, header)


def test_a_100_mb_file_is_refused_unread_and_the_pack_is_unchanged(content_dir: Path, tmp_path: Path) -> None:
    first = write(tmp_path / "first.csv", CSV.split("\n", 2)[0] + "\n" + CSV.split("\n")[1] + "\n")
    run(content_dir, first)
    pack_dir = content_dir / "packs" / "team"
    before = {p.name: p.read_bytes() for p in pack_dir.rglob("*.yaml")}
    huge = tmp_path / "first.csv"  # the same name: a refused file keeps what it gave before
    huge.unlink()
    with huge.open("wb") as f:
        f.truncate(100_000_000)  # sparse: 100 MB without writing them
    started = time.monotonic()
    report = import_files(content_dir, [huge], ImportOptions(pack="team"), meta=META)
    assert time.monotonic() - started < 30
    assert "first.csv: larger than 20 MB" in str(report.files[0].problems[0]), report.lines()
    assert {p.name: p.read_bytes() for p in pack_dir.rglob("*.yaml")} == before


def test_rows_wider_than_the_header_and_overlong_fields_are_reported(content_dir: Path, tmp_path: Path) -> None:
    header, good = CSV.split("\n")[0], CSV.split("\n")[1]
    source = write(
        tmp_path / "wide.csv",
        f'{header}\n{good}\nSQS のキュー,a,b,c,d,A,x,DVA-C02,sqs,extra\n"{"長" * 25_000}",a,b,,,A,x,DVA-C02,sqs\n',
    )
    report, pack = run(content_dir, source)
    lines = "\n".join(report.lines())
    assert "wide.csv line 3: 10 fields but the header names 9" in lines, lines
    assert "wide.csv line 4: a field has 25,000 characters" in lines, lines
    assert len(pack.questions) == 1


def test_reimport_updates_the_same_questions(content_dir: Path, tmp_path: Path) -> None:
    source = write(tmp_path / "practice.csv", CSV)
    _, first = run(content_dir, source)
    write(source, CSV.replace("強い整合性は 4 KB ごとに 1 RCU です。", "4 KB ごとに 1 RCU（強い整合性）。"))
    _, second = run(content_dir, source)
    assert set(first.questions) == set(second.questions)
    texts = {q.explanation for q in second.questions.values()}
    assert "4 KB ごとに 1 RCU（強い整合性）。" in texts
    saved = yaml.safe_load(next((content_dir / "packs" / "team" / "questions").glob("*.yaml")).read_text())
    assert len(saved["questions"]) == 2  # the Route 53 row names no exam, and neither does the file


def test_anki_text_export_without_column_names_reads_front_back_and_reports_wider_notes(
    content_dir: Path, tmp_path: Path
) -> None:
    source = write(
        tmp_path / "export.txt",
        # as Anki writes it: no #columns: line, rows padded to the widest note type, tags last
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:9\n"
        "g1\tBasic (optional reversed card)\tAWS::DVA-C02\tAmazon SQS の FIFO キュー\t順序を守り、重複を除きます。"
        "\t\t\t\tsqs\n"
        "g2\tMCQ\tAWS::DVA-C02\tDynamoDB の読み込み\t5 RCU\t10 RCU\tB\t\tdynamodb\n",
    )
    report, pack = run(content_dir, source)
    lines = "\n".join(report.lines())
    assert "export.txt line 8: 5 fields and no #columns: line" in lines, lines
    (entry,) = pack.entries.values()
    assert entry.term == "Amazon SQS の FIFO キュー" and entry.service == "sqs"
