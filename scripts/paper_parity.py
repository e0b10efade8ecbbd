"""viubench's paper-compatible numbers beside a plain re-implementation of the paper's released
scripts (eval/vqa.py, eval/vtg.py), on a deterministic synthetic set of mixed-format responses.

    python scripts/paper_parity.py [--count 300] [--seed 0]

The responses, the re-implementation and viubench's pipeline (scoring -> journal -> results) are
those of tests/test_paper_compatible.py. Also prints viubench's default numbers for contrast.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from test_paper_compatible import THRESHOLDS, released_numbers, synthetic_replies, viubench_results  # noqa: E402


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300, help="responses per kind (default: 300)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic set (default: 0)")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        for kind, label in (("choice", "multiple choice (vqa.py)"), ("interval", "grounding (vtg.py)")):
            replies = synthetic_replies(kind, args.count, args.seed)
            results = viubench_results(kind, replies, Path(work) / kind)["overall"]
            ours, theirs = results["paper_compatible"], released_numbers(kind, replies)
            errors = sum(reply.response is None for reply in replies)
            rows.append((f"{label}: {len(replies)} responses, {errors} model errors", "", ""))
            keys = ["score"] if kind == "choice" else ["miou", *(f"r@{k}" for k in THRESHOLDS)]
            rows.append(("  n counted", str(ours["n"]), str(theirs["n"])))
            for key in keys:
                rows.append((f"  {'accuracy' if key == 'score' else key}", _fmt(ours[key]), _fmt(theirs[key])))
            rows.append((f"  viubench default (n={results['n']}, parse failures {results['parse_failures']})", _fmt(results["score"]), ""))
    width = max(len(row[0]) for row in rows)
    print(f"{'':{width}}  {'viubench':>10}  {'released':>10}")
    for name, ours_text, theirs_text in rows:
        print(f"{name:{width}}  {ours_text:>10}  {theirs_text:>10}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
