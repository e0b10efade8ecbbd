"""The verl engine, the paper's: Ray, FSDP actor, vLLM rollouts, one node or many.

``prepare_verl`` writes, under ``OUT/verl/``:

- ``train.parquet``: every item of the mix as a verl row (``viubench.train.verl_data``);
- ``val.parquet``: the first few items of each task. verl always loads ``data.val_files``, but the
  recipe runs no validation (``trainer.val_before_train=false``, ``trainer.test_freq=-1``); score
  checkpoints with ``viubench eval`` instead;
- ``viubench_grpo.yaml``: the complete verl config, verl's own ``ppo_trainer`` composed by verl's
  Hydra with our overrides, and resolved: for reading. The launch command passes the same overrides
  on verl's command line, so verl's schema, not a copy of it, is what they are checked against
  (here, before launching, with verl's own ``validate_config``, and again by ``main_ppo``).
- ``viubench-train.json``: the viubench settings, dataset and packages of the run.

``launch_verl`` first checks, in the launching Python (``verl_probe``), that Ray sees the nodes and GPUs
per node the config asks for (verl's trainer would wait for them without a word) and that every module
the trainer needs imports; then it runs ``python -m verl.trainer.main_ppo OVERRIDES`` (Ray starts a local cluster, or
joins the one started with ``ray start`` on every node). verl saves FSDP shards in
``OUT/verl/checkpoints/global_step_N/actor`` every ``verl.save_freq`` steps and resumes from the
last one when launched again (``resume=True``); ``VerlPlan.merge_command`` turns one into a Hugging
Face folder. On several nodes, every node needs the same environment (verl, viubench: the reward
function is loaded from ``viubench/rewards.py`` by path) and sees OUT and the dataset's frames at
the same absolute paths.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import importlib.util
import io
import json
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

from pydantic import BaseModel

import viubench.rewards
from viubench.console import console
from viubench.errors import UserError, one_line
from viubench.train.checkpoint import base_model_fingerprint, train_meta, write_meta
from viubench.train.config import TrainConfig
from viubench.train.data import TrainingData, load_training_data, planned_steps
from viubench.train import verl_probe
from viubench.train.verl_data import item_indices, validation_rows, verl_row, write_rows

INSTALL = "the verl engine needs verl: pip install 'viubench[verl]' (in its own environment; vllm too on the GPU nodes)"
# what verl's trainer imports once it runs: its entry point, the rollout router (cachetools), the transfer
# queue, qwen_vl_utils (its video loader; needs torchvision)
NEEDED = ("verl.trainer.main_ppo", "verl.workers.rollout.router", "transfer_queue", "cachetools", "qwen_vl_utils")
VERL_DIR = "verl"
CONFIG_FILE = "viubench_grpo.yaml"
_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./@+-]*")  # a Hydra override value that needs no quotes
_KEYWORDS = {"null", "true", "false", "nan", "inf"}


class VerlPlan(BaseModel):
    """What ``prepare_verl`` wrote and the command that trains on it."""

    model: str
    dataset: Path
    folder: Path  # OUT/verl
    train_file: Path
    val_file: Path
    config_file: Path
    checkpoints: Path
    overrides: list[str]  # verl config overrides, checked against verl's schema
    hydra_overrides: list[str]  # Hydra's own settings (its run folder)
    items: dict[str, int]  # training items per data_source
    val_items: int
    skipped: list[str]
    total_steps: int
    nodes: int
    gpus_per_node: int
    verl_version: str

    def command(self, python: str = "python") -> list[str]:
        return [python, "-m", "verl.trainer.main_ppo", *self.overrides, *self.hydra_overrides]

    def command_line(self) -> str:
        return shlex.join(self.command())

    def merge_command(self, step: int | str = "N", python: str = "python") -> list[str]:
        """verl's model merger: the FSDP shards of ``global_step_<step>`` to a Hugging Face folder."""
        return [python, "-m", "verl.model_merger", "merge", "--backend", "fsdp",
                "--local_dir", str(self.checkpoints / f"global_step_{step}" / "actor"),
                "--target_dir", str(self.folder / "merged" / f"global_step_{step}")]

    def describe(self) -> str:
        counts = ", ".join(f"{count} {task}" for task, count in self.items.items())
        skipped = f" ({len(self.skipped)} unreadable item(s) skipped: {self.skipped[0]} ...)" if self.skipped else ""
        return (
            f"{self.train_file} ({sum(self.items.values())} items: {counts}){skipped}, {self.val_file.name} ({self.val_items}) and "
            f"{self.config_file.name} (verl {self.verl_version}); {self.total_steps} step(s) on {self.nodes} node(s) x "
            f"{self.gpus_per_node} GPU(s); checkpoints in {self.checkpoints}; after training, make a Hugging Face "
            f"folder of step N with: {shlex.join(self.merge_command())}"
        )


def hydra_value(value: Any) -> str:
    """``value`` in Hydra's override grammar (strings quoted unless plainly a path or word)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list | tuple):
        return "[" + ",".join(hydra_value(item) for item in value) + "]"
    text = str(value)
    if _PLAIN.fullmatch(text) and text.lower() not in _KEYWORDS:
        return text
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def recipe_settings(config: TrainConfig, model: str, train_file: Path, val_file: Path, checkpoints: Path) -> dict[str, Any]:
    """The recipe (docs/benchmark.md §5) as verl 0.9.1 ``ppo_trainer`` settings, by dotted key."""
    actor, rollout, verl = "actor_rollout_ref.actor", "actor_rollout_ref.rollout", config.verl
    reward_path = Path(viubench.rewards.__file__).resolve()
    return {
        "algorithm.adv_estimator": "grpo",
        "algorithm.use_kl_in_reward": False,
        "data.train_files": str(train_file),
        "data.val_files": str(val_file),
        "data.train_batch_size": config.prompts_per_step,
        "data.max_prompt_length": config.max_prompt_tokens,
        "data.max_response_length": config.max_response_tokens,
        "data.seed": config.seed,
        "data.image_patch_size": None,  # the processor's own (16 for Qwen3-VL), as the rollout uses
        "actor_rollout_ref.model.path": model,
        f"{actor}.optim.lr": config.learning_rate,
        f"{actor}.optim.lr_warmup_steps_ratio": config.warmup_ratio,
        f"{actor}.optim.weight_decay": config.weight_decay,
        f"{actor}.optim.clip_grad": config.max_grad_norm,
        f"{actor}.ppo_mini_batch_size": verl.mini_batch_prompts or config.prompts_per_step,
        f"{actor}.ppo_micro_batch_size_per_gpu": verl.micro_batch_per_gpu,
        f"{actor}.use_kl_loss": config.kl_coef > 0,
        f"{actor}.kl_loss_coef": config.kl_coef,
        f"{actor}.kl_loss_type": "low_var_kl",
        f"{actor}.entropy_coeff": config.entropy_coef,
        f"{actor}.clip_ratio": config.clip_ratio,
        f"{actor}.clip_ratio_low": config.clip_ratio,  # verl reads these two when set (they are, to 0.2)
        f"{actor}.clip_ratio_high": config.clip_ratio,
        f"{rollout}.name": "vllm",
        f"{rollout}.n": config.rollouts_per_prompt,
        f"{rollout}.temperature": config.temperature,
        f"{rollout}.tensor_model_parallel_size": verl.tensor_parallel,
        f"{rollout}.gpu_memory_utilization": verl.gpu_memory_utilization,
        f"{rollout}.log_prob_micro_batch_size_per_gpu": verl.micro_batch_per_gpu,
        "actor_rollout_ref.ref.log_prob_micro_batch_size_per_gpu": verl.micro_batch_per_gpu,
        "reward.custom_reward_function.path": str(reward_path),
        "reward.custom_reward_function.name": "strict_score" if config.reward == "strict" else "compute_score",
        "trainer.nnodes": verl.nnodes,
        "trainer.n_gpus_per_node": verl.gpus_per_node,
        "trainer.total_epochs": config.epochs,
        "trainer.total_training_steps": config.max_steps,
        "trainer.save_freq": verl.save_freq,
        "trainer.logger": list(verl.logger),
        "trainer.project_name": verl.project_name,
        "trainer.experiment_name": verl.experiment_name,
        "trainer.default_local_dir": str(checkpoints),
        "trainer.resume_mode": "auto",
        "trainer.val_before_train": False,
        "trainer.test_freq": -1,
    }


def verl_overrides(config: TrainConfig, model: str, train_file: Path, val_file: Path, checkpoints: Path) -> list[str]:
    """verl command-line overrides: the recipe, then ``verl.overrides`` of the config verbatim (they win)."""
    settings = recipe_settings(config, model, train_file, val_file, checkpoints)
    return [f"{key}={hydra_value(value)}" for key, value in settings.items()] + list(config.verl.overrides)


def require_verl() -> None:
    """Every module the verl engine and verl's trainer need imports here (for real: a module that is
    found but cannot import, such as qwen_vl_utils without torchvision, fails now, not in a worker)."""
    missing = verl_probe.missing_packages(list(NEEDED))
    if missing:
        raise UserError(f"{INSTALL}; missing here: {', '.join(missing)}")
    broken = verl_probe.import_errors(list(NEEDED))
    if broken:
        raise UserError(_broken(broken, ""))


def _broken(broken: dict[str, str], where: str) -> str:
    name, error = next(iter(broken.items()))
    return f"the verl environment{where} is incomplete: {name} does not import ({error}); {INSTALL}"


def check_launch(plan: VerlPlan, python: str) -> None:
    """Before launching with ``python``: its modules import, and the Ray cluster it joins (or starts)
    has the nodes and GPUs the config asks for; else one line naming both. verl itself would wait
    for them without a word."""
    where = f" ({python})"
    command = [python, str(Path(verl_probe.__file__)), str(plan.nodes), str(plan.gpus_per_node), *NEEDED]
    try:
        found = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        raise UserError(f"cannot run {python}: {one_line(error)}") from None
    try:
        facts = json.loads(found.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        raise UserError(f"cannot run {python}: {one_line(found.stderr or found.stdout or f'exit {found.returncode}')}") from None
    if facts["missing"]:
        raise UserError(f"{INSTALL}; missing here{where}: {', '.join(facts['missing'])}")
    if facts["ray_error"]:
        raise UserError(f"Ray cannot start{where}: {facts['ray_error']}")
    nodes = facts["nodes"]
    if sum(1 for gpus in nodes if gpus >= plan.gpus_per_node) < plan.nodes:
        seen = ", ".join(f"{gpus:g}" for gpus in nodes) or "none"
        raise UserError(
            f"verl asks for {plan.nodes} node(s) x {plan.gpus_per_node} GPU(s) (trainer.nnodes x trainer.n_gpus_per_node), but Ray sees "
            f"{len(nodes)} node(s) with {seen} GPU(s); verl's actor and rollouts need GPUs: run on GPU nodes ('ray start' on each, "
            "for several) or lower --nnodes/--gpus-per-node"
        )
    if facts["broken"]:
        raise UserError(_broken(facts["broken"], where))


def verl_config_dir() -> Path:
    """verl's own Hydra config folder (``verl/trainer/config``), found without importing verl."""
    spec = importlib.util.find_spec("verl")
    if spec is None or not spec.submodule_search_locations:
        raise UserError(INSTALL)
    return Path(next(iter(spec.submodule_search_locations))) / "trainer" / "config"


def compose_verl_config(overrides: list[str]) -> Any:
    """verl's ``ppo_trainer`` config with ``overrides``, composed by Hydra as ``main_ppo`` does: a key
    that is not in verl's schema is an error."""
    from hydra import compose, initialize_config_dir
    from hydra.errors import HydraException

    with initialize_config_dir(config_dir=str(verl_config_dir()), version_base=None):
        try:
            return compose(config_name="ppo_trainer", overrides=overrides)
        except HydraException as error:
            raise UserError(f"verl rejects the config: {one_line(error, 1000)}") from None


def check_verl_config(config: Any) -> None:
    """verl's own checks: ``validate_config`` (run by ``main_ppo`` first) and the typed configs of the
    algorithm and the rollout. Their messages go to the user as one line."""
    from omegaconf import OmegaConf
    from verl.trainer.ppo.utils import need_critic, need_reference_policy
    from verl.utils.config import omega_conf_to_dataclass, validate_config

    try:
        with contextlib.redirect_stdout(io.StringIO()), _quiet_warnings():
            validate_config(config, use_reference_policy=need_reference_policy(config), use_critic=need_critic(config))
            for key in ("algorithm", "actor_rollout_ref.rollout"):
                omega_conf_to_dataclass(OmegaConf.select(config, key))
    except Exception as error:  # noqa: BLE001 - verl raises assertions, ValueError, TypeError, Hydra instantiation errors
        raise UserError(f"verl rejects the config: {one_line(error, 1000)}") from None


@contextlib.contextmanager
def _quiet_warnings() -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Disabled critic as algorithm.adv_estimator != gae" and the like
        yield


def write_verl_config(config: Any, path: Path, overrides: list[str]) -> Path:
    from omegaconf import OmegaConf

    header = [f"# verl {verl_version()} ppo_trainer composed with viubench's overrides (resolved), for reading:",
              "# 'viubench train --engine verl' passes the same overrides to verl.trainer.main_ppo. Change",
              "# settings with --config FILE (verl.overrides for any verl key), not here. Overrides:"]
    header += [f"#   {override}" for override in overrides]
    path.write_text("\n".join(header) + "\n" + OmegaConf.to_yaml(config, resolve=True))
    return path


def verl_version() -> str:
    try:
        return importlib.metadata.version("verl")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def prepare_verl(dataset: Path, model: str, out: Path, config: TrainConfig, *, resume: bool = False,
                 data: TrainingData | None = None) -> VerlPlan:
    """Write the verl files of a GRPO run of ``model`` on the mix at ``dataset`` into ``out/verl``
    and return the plan; nothing is launched. ``data``: the mix, if already loaded."""
    require_verl()
    folder = (out / VERL_DIR).resolve()
    checkpoints = folder / "checkpoints"
    if any(checkpoints.glob("global_step_*")) and not resume:
        raise UserError(f"--out {out} already holds a verl run ({checkpoints}): pass --resume to continue it, or choose another --out")
    data = data if data is not None else load_training_data(dataset, config)
    indices = item_indices(dataset)
    rows = [verl_row(sample, indices[sample.id], config) for sample in data.samples.values()]
    steps = planned_steps(len(rows), config)
    train_file, val_file = folder / "train.parquet", folder / "val.parquet"
    overrides = verl_overrides(config, model, train_file, val_file, checkpoints)
    verl_config = compose_verl_config(overrides)
    check_verl_config(verl_config)
    write_rows(rows, train_file)
    val_rows = validation_rows(rows)
    write_rows(val_rows, val_file)
    config_file = write_verl_config(verl_config, folder / CONFIG_FILE, overrides)
    write_meta(folder, train_meta(engine="verl", base_model=model, dataset=dataset, manifest_sha256=data.manifest_sha256,
                                  config=config, steps_done=0, total_steps=steps, items=data.counts(),
                                  base_fingerprint=base_model_fingerprint(model)))
    return VerlPlan(
        model=model, dataset=dataset, folder=folder, train_file=train_file, val_file=val_file, config_file=config_file,
        checkpoints=checkpoints, overrides=overrides, hydra_overrides=[f"hydra.run.dir={hydra_value(str(folder / 'hydra'))}"],
        items=data.counts(), val_items=len(val_rows), skipped=data.skipped, total_steps=steps,
        nodes=int(verl_config.trainer.nnodes), gpus_per_node=int(verl_config.trainer.n_gpus_per_node), verl_version=verl_version(),
    )


def launch_verl(plan: VerlPlan, python: str = sys.executable) -> int:
    """Run verl's trainer on ``plan`` with ``python`` (which must have verl) and return its exit code."""
    check_launch(plan, python)
    command = plan.command(python)
    console.print(f"launching verl: {shlex.join(command)}", markup=False)
    finished = subprocess.run(command, cwd=plan.folder, check=False)
    if finished.returncode == 0:
        console.print(f"verl finished; make a Hugging Face folder of step N with: {shlex.join(plan.merge_command(python=python))}", markup=False)
    return finished.returncode
