"""``viubench eval`` and ``viubench rescore``."""

from __future__ import annotations

import argparse
import re
import shutil
from pathlib import Path

from viubench.config import validate_strict
from viubench.console import console, progress_bar, stdout
from viubench.errors import UserError
from viubench.judge.config import JudgeConfig
from viubench.runner.config import RunConfig
from viubench.runner.engine import run_eval
from viubench.runner.failures import error_summary, run_failure
from viubench.execution.options import ExecutorOptions
from viubench.runner.results import task_results, write_results
from viubench.runner.usage import UsageCap, model_price, run_usage, usage_line
from viubench.rundir.layout import RESULTS
from viubench.rundir.manifest import read_manifest, read_run_manifest
from viubench.report.terminal import results_tables


def parse_fail_on_error(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"--fail-on-error {text!r}: give a count (e.g. 5) or a fraction (e.g. 0.1)") from None
    if value < 0:
        raise UserError("--fail-on-error must be 0 or more")
    return value


def parse_data(items: list[str], tasks: list[str]) -> dict[str, str]:
    """``TASK=FOLDER`` pairs; a task that is not evaluated is a mistake (a typo), never ignored."""
    data = {}
    for item in items:
        name, sep, folder = item.partition("=")
        if not sep or not name or not folder:
            raise UserError(f"--data {item!r}: use TASK=FOLDER")
        if name not in tasks and "resume" not in tasks:
            from viubench.interop.task_names import task_name

            name = task_name(name)  # charades_sta=DIR is charades-sta's
        if name not in tasks:
            raise UserError(f"--data {item}: {name!r} is not a task of this run ({', '.join(tasks)}); check the spelling")
        data[name] = str(Path(folder).resolve())
    return data


def parse_options(items: list[str]) -> dict[str, object]:
    """``KEY=VALUE`` pairs; values read as YAML scalars (``8`` is a number, ``true`` a boolean)."""
    import yaml

    options: dict[str, object] = {}
    for given in items:
        for item in re.split(r",(?=[A-Za-z_][\w.-]*=)", given):  # KEY=VALUE,KEY=VALUE, as lmms-eval's --model_args
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise UserError(f"--model-option {given!r}: use KEY=VALUE (several: KEY=VALUE,KEY=VALUE)")
            options[key] = yaml.safe_load(value) if value else ""
    return options


def model_options(args: argparse.Namespace) -> dict[str, object]:
    """Backend options from ``--model-option``, ``--base-url`` and ``--api-key-env``."""
    options = parse_options(args.model_option or [])
    if getattr(args, "max_new_tokens", None) is not None:  # eval's --max-new-tokens is the model's budget option
        options["max_new_tokens"] = args.max_new_tokens
    if args.base_url:
        options["base_url"] = args.base_url
    if args.api_key_env:
        options["api_key_env"] = args.api_key_env
    return options


def judge_options(args: argparse.Namespace) -> JudgeConfig | None:
    """The ``--judge`` model and its endpoint options, or None."""
    if not args.judge:
        if args.judge_base_url or args.judge_api_key_env:
            raise UserError("--judge-base-url and --judge-api-key-env need --judge MODEL")
        return None
    options: dict[str, object] = {}
    if args.judge_base_url:
        options["base_url"] = args.judge_base_url
    if args.judge_api_key_env:
        options["api_key_env"] = args.judge_api_key_env
    return JudgeConfig(model=args.judge, model_options=options)


def discard_run(config: RunConfig, wait: bool) -> None:
    """``--fresh``: empty the run directory this command would continue, so the run starts from scratch."""
    from viubench.execution.workers import exclusive
    from viubench.rundir.layout import LOCK
    from viubench.runner.engine import start_run

    run_dir = start_run(config).run_dir
    if not run_dir.is_dir():
        return
    with exclusive(run_dir / LOCK, f"run directory {run_dir}", wait):
        for child in run_dir.iterdir():
            if child.name != LOCK:
                shutil.rmtree(child) if child.is_dir() and not child.is_symlink() else child.unlink()
    console.print(f"--fresh: discarded the earlier run in {run_dir}; evaluating from scratch", markup=False)


def print_nothing_to_do(run_dir: Path, evaluated: int, resumed: bool) -> None:
    """A command run again after its run finished: where that run is, and how to evaluate again."""
    if evaluated == 0:
        again = "add --fresh to the same command" if not resumed else "run the command that started it with --fresh"
        console.print(f"every sample was already evaluated: this is the finished run in {run_dir}; to evaluate again from scratch, {again}", markup=False)


def run_eval_command(args: argparse.Namespace) -> int:
    from viubench.interop.task_names import task_names

    if args.resume is None and (args.model is None or args.tasks is None):
        raise UserError("give --model and --tasks (or --resume RUN_DIR)")
    if args.fresh and args.resume is not None:
        raise UserError("--fresh starts the run of --model and --tasks again from scratch; it does not combine with --resume RUN_DIR")
    tasks = [t.strip() for t in (args.tasks or "resume").split(",") if t.strip()]
    if args.resume is None:
        tasks = task_names(tasks)  # lmms-eval's names and other spellings of a task are that task
    config = validate_strict(
        RunConfig,
        {
            "model": args.model or "",
            "backend": args.backend,
            "model_options": model_options(args),
            "models_file": str(args.models_file.resolve()) if args.models_file else None,
            "tasks": tasks,
            "limit": args.limit,
            "seed": args.seed,
            "frames": args.frames,
            "max_pixels": args.max_pixels,
            "min_pixels": args.min_pixels,
            "data": parse_data(args.data or [], tasks),
            "out": str(args.out),
            "fail_on_error": parse_fail_on_error(args.fail_on_error),
            "media_workers": args.media_workers,
            "judge": judge_options(args),
        },
        "eval",
    )
    if args.dry_run:
        if args.resume is not None:
            raise UserError("--dry-run estimates a new run: give --model and --tasks, not --resume")
        return dry_run(config)
    cap = usage_cap(config, args)
    if args.fresh:
        discard_run(config, args.wait)
    with progress_bar("evaluating") as update:

        def report(task: str, done: int, total: int | None, errors: int) -> None:
            update(done, total, f"{task} ({errors} errors)")

        executor = ExecutorOptions(kind=args.executor, address=args.ray_address, replicas=args.replicas, gpus_per_replica=args.gpus_per_replica)
        outcome = run_eval(config, resume=args.resume, progress=report, wait=args.wait, executor=executor, judge=config.judge if args.judge else None, cap=cap)
    manifest = read_manifest(outcome.run_dir)
    for table in results_tables(manifest["config"]["model"], outcome.results, args.paper_compatible):
        stdout.print(table)
    stdout.print(f"run: {outcome.run_dir}  ({outcome.evaluated} samples evaluated now, {outcome.errors} errors)", markup=False)
    print_run_notes(outcome.run_dir, outcome.results)
    print_nothing_to_do(outcome.run_dir, outcome.evaluated, args.resume is not None)
    if outcome.stopped is not None:
        console.print(f"stopped: {outcome.stopped}; run the same command again to continue the run ({outcome.run_dir})", markup=False)
        return CAPPED
    failure = run_failure(outcome.results, config.fail_on_error)
    if failure is not None:
        console.print(failure, markup=False)
        return 1
    return 0


CAPPED = 3  # the exit status of a command stopped by --max-cost or --max-total-tokens


def usage_cap(config: RunConfig, args: argparse.Namespace) -> UsageCap | None:
    """The cap of ``--max-cost`` / ``--max-total-tokens``, priced by the model's alias, or None."""
    if args.max_cost is None and args.max_total_tokens is None:
        return None
    if args.max_cost is not None and args.max_cost <= 0:
        raise UserError("--max-cost must be more than 0 (USD)")
    model = config.model
    backend, models_file = config.backend, config.models_file
    if args.resume is not None:  # the resumed run's own model
        saved = read_run_manifest(args.resume)["config"]
        model, backend, models_file = saved["model"], saved.get("backend"), saved.get("models_file")
    return UsageCap(args.max_cost, args.max_total_tokens, model_price(model, backend, models_file))


def dry_run(config: RunConfig) -> int:
    """Prints what the run would send and its estimated tokens and cost; writes nothing."""
    from viubench.backends.registry import generation_budget, model_settings
    from viubench.models import ModelEntry, model_entry
    from viubench.runner.config import effective_spec
    from viubench.runner.estimate import estimate_lines, estimate_task, image_rule
    from viubench.task.registry import TaskContext, get_tasks

    models_file = Path(config.models_file) if config.models_file else None
    try:
        entry = model_entry(config.model, config.backend, models_file)
    except UserError:  # a baseline or a plugin's model: counted like an API model, with no price
        entry = ModelEntry(backend="openai", model=config.model)
    settings = model_settings(config.model, config.backend, config.model_options, models_file)
    budget = generation_budget(config.model, config.backend, config.model_options, models_file)
    estimates = []
    for task in get_tasks(config.tasks):
        context = TaskContext(
            data_dir=Path(config.data[task.name]) if task.name in config.data else None, video=effective_spec(task, config.frames), limit=config.limit, seed=config.seed
        )
        estimates.append(estimate_task(task, context, entry, settings, budget or task.config.max_new_tokens))
    for line in estimate_lines(config.model, estimates, model_price(config.model, config.backend, config.models_file), image_rule(entry)):
        stdout.print(line, markup=False)
    if settings.get("video_mode") == "video_url":
        stdout.print("video_mode video_url: each video goes as one clip, whose tokens the server counts its own way (the estimate counts its frames as images)", markup=False)
    return 0


def print_run_notes(run_dir: Path, results: dict[str, dict]) -> None:
    """Answers the generation budget cut, per task, what an API model spent, and the run's distinct
    errors, most common first."""
    usage = run_usage(results)
    if usage is not None:
        console.print(f"usage: {usage_line(usage)}", markup=False)
    for name, result in results.items():
        cut = result["overall"].get("cut_by_budget")
        if cut:
            console.print(
                f"{name}: {cut} of {result['overall']['n']} answers were cut by the generation budget (finish_reason length), "
                "scored as they are; raise it with --model-option max_new_tokens=N",
                markup=False,
            )
    errors = error_summary(run_dir, list(results))
    if errors:
        console.print("errors (most common first):", markup=False)
        for error in errors:
            console.print(f"  {error.count:>6} {error.source}: {error.message}", markup=False)


def run_rescore_command(args: argparse.Namespace) -> int:
    from viubench.task.registry import get_tasks

    run_dir: Path = args.run_dir
    manifest = read_run_manifest(run_dir)
    tasks = get_tasks(list(manifest["tasks"]))
    results = {task.name: task_results(run_dir, task.config) for task in tasks}
    write_results(run_dir, manifest["config"]["model"], results, manifest["tasks"])
    for table in results_tables(manifest["config"]["model"], results, args.paper_compatible):
        stdout.print(table)
    console.print(f"rewrote {run_dir / RESULTS}", markup=False)
    return 0
