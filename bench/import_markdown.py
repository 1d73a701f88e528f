"""`studybot content import` of a large Markdown file, with the parts it is made of measured in the same run.

    .venv/bin/python bench/import_markdown.py [--questions 5000] [--runs 3]

Prints, per run: the whole import of one generated file of N questions (parse, ids and services, the
pack written and checked by the content checker, the swap) beside two baselines measured in the same
run: markdown-it-py's own parse of the same text (the floor for any structure-aware parser) and loading
the shipped bank (which every import does to know the service tags). Then the range over the runs.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from markdown_it import MarkdownIt

from bot.content import load_content
from bot.importing import ImportOptions, import_files

ROOT = Path(__file__).resolve().parent.parent

QUESTION = """### 問題 {n}

シナリオ: ある会社は Amazon DynamoDB のテーブル {n} に注文を保存しています。読み込みが急に増えました。

質問: 最も運用負荷が低い対策はどれですか。

- A. オンデマンドキャパシティモードにする（{n}）
- B. 毎朝手動でキャパシティを増やす（{n}）
- C. テーブルを別のリージョンに作り直す（{n}）
- D. 読み込みを止める（{n}）

<details><summary>解答を表示</summary>

**解答: A**

**解説:** オンデマンドモードは読み書きの量に合わせて自動でスケールします（{n}）。

- 選択肢 B: 手動の作業が毎日残ります。
- 選択肢 C: 読み込みの増加は解決しません。

</details>

---

"""


def one_run(questions: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        content = Path(tmp) / "content"
        shutil.copytree(ROOT / "content", content, ignore=shutil.ignore_patterns("packs", ".import"))
        source = Path(tmp) / "dva-bench.md"
        text = "# DVA\n\n## Amazon DynamoDB\n\n" + "".join(QUESTION.format(n=n) for n in range(questions))
        source.write_text(text, encoding="utf-8")
        started = time.perf_counter()
        MarkdownIt("commonmark", {"html": True}).parse(text)
        markdown_it = time.perf_counter() - started
        started = time.perf_counter()
        load_content(content)
        bank = time.perf_counter() - started
        started = time.perf_counter()
        report = import_files(content, [source], ImportOptions(pack="bench"), meta={"licence": "-", "source": "-"})
        whole = time.perf_counter() - started
        assert report.questions_in_pack == questions and not report.problems, report.lines()[:5]
        return {"import": whole, "markdown-it parse": markdown_it, "bank load": bank}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    runs = []
    for index in range(args.runs):
        figures = one_run(args.questions)
        runs.append(figures)
        shown = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in figures.items())
        ratio = figures["import"] / figures["markdown-it parse"]
        print(f"run {index + 1}: {args.questions} questions: {shown} (import / markdown-it parse = {ratio:.1f})")
    for name in runs[0]:
        values = [r[name] for r in runs]
        print(f"{name}: {min(values):.2f}-{max(values):.2f} s over {len(runs)} runs")


if __name__ == "__main__":
    main()
