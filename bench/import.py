"""Import speed: a 5,000-question CSV and a 5,000-note Anki package (current anki21b format), each through
the whole `studybot content import` path (parse, ids, services, content check of the pack, atomic write),
beside baselines measured in the same run: csv.reader over the same file, and unzip + zstd + an sqlite3
read of the same notes.

    .venv/bin/python bench/import.py [--questions 5000] [--runs 3]

Prints, per format, the baseline, the parser alone and the whole import (min-max over the runs, wall
clock), the whole import's CPU time (what it costs when the machine is shared: the load average is
printed too) and the whole import over the baseline. Target: the whole import under 10 s for each.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sqlite3
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import zstandard

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.importing import ImportOptions, import_files
from bot.importing.apkg import parse_file as parse_apkg
from bot.importing.csv_import import parse_file as parse_csv
from tests.anki_packages import anki21b_package, choice_note

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 10.0
SERVICES = ("dynamodb", "sqs", "lambda", "s3", "cloudformation")


def write_csv(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f)
        out.writerow(
            ["prompt", "choice_a", "choice_b", "choice_c", "choice_d", "answer", "explanation", "exam", "services"]
        )
        for n in range(count):
            service = SERVICES[n % len(SERVICES)]
            out.writerow(
                [
                    f"問題 {n}: ある会社は {service} を使うアプリケーションで、1 秒に {n} 件のリクエストを処理します。"
                    "運用負荷が最も低い方法はどれですか。",
                    f"設定 {n} を有効にする",
                    f"関数 {n} を書き換える",
                    f"インスタンス {n} を追加する",
                    f"手順 {n} を手で実行する",
                    "A" if n % 3 else "A, C",
                    f"設定を有効にするだけで済むため、運用負荷が最も低くなります（{n}）。",
                    "DVA-C02",
                    service,
                ]
            )
    return path


def baseline_csv(path: Path) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        sum(len(row) for row in csv.reader(f))


def baseline_apkg(path: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(path) as archive:
        db = Path(tmp) / "c.sqlite"
        with archive.open("collection.anki21b") as raw, db.open("wb") as out:
            reader = zstandard.ZstdDecompressor().stream_reader(raw)
            while chunk := reader.read(1 << 20):
                out.write(chunk)
        con = sqlite3.connect(db)
        sum(len(flds.split("\x1f")) for (flds,) in con.execute("SELECT flds FROM notes"))
        con.close()


def timed(action: Callable[[], object], runs: int, cpu: list[float] | None = None) -> list[float]:
    times = []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        action()
        times.append(time.perf_counter() - started)
        if cpu is not None:
            cpu.append(time.process_time() - started_cpu)
    return times


def span(times: list[float]) -> str:
    return f"{min(times):.2f}-{max(times):.2f} s" if len(times) > 1 else f"{times[0]:.2f} s"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="studybot-bench-import-") as tmp:
        root = Path(tmp)
        content = root / "content"
        shutil.copytree(PROJECT_ROOT / "content", content, ignore=shutil.ignore_patterns("packs", ".import"))
        sheet = write_csv(root / "practice.csv", args.questions)
        deck = anki21b_package(
            root / "practice.apkg",
            [choice_note(n, answer="B" if n % 3 else "A, C") for n in range(1, args.questions + 1)],
        )
        print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        print(
            f"{args.questions:,} questions: CSV {sheet.stat().st_size / 1e6:.1f} MB, apkg {deck.stat().st_size / 1e6:.1f} MB"
        )
        options = ImportOptions(pack="bench")
        meta = {"licence": "CC0", "source": "bench/import.py"}
        ok = True
        for name, path, baseline, parse in (
            ("CSV", sheet, baseline_csv, parse_csv),
            ("apkg", deck, baseline_apkg, parse_apkg),
        ):
            base = timed(lambda p=path, b=baseline: b(p), args.runs)
            parsed = timed(lambda p=path, f=parse: f(p, options), args.runs)

            def whole(p: Path = path, n: str = name, counter=iter(range(args.runs))) -> None:  # noqa: B008
                pack = f"bench-{n.lower()}-{next(counter)}"
                report = import_files(content, [p], ImportOptions(pack=pack), meta=meta)
                if report.questions_in_pack != args.questions or report.problems:
                    raise SystemExit(f"{n}: {report.questions_in_pack} imported; {report.lines()[:5]}")

            cpu: list[float] = []
            total = timed(whole, args.runs, cpu)
            verdict = "ok" if max(total) < TARGET_SECONDS else f"OVER the {TARGET_SECONDS:.0f} s target"
            ok = ok and max(total) < TARGET_SECONDS
            print(
                f"{name:5} baseline {span(base)} | parser {span(parsed)} | whole import {span(total)} "
                f"(CPU {span(cpu)}; {min(total) / max(min(base), 1e-9):.0f}x the baseline) {verdict}"
            )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
