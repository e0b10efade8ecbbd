"""Run by the Python that will launch verl, before it does (``python verl_probe.py NNODES GPUS MODULE...``):
which modules are missing, what Ray sees, and which modules fail to import. Standard library and Ray
only, so it runs wherever verl is installed; prints one JSON object and stops at the first problem:

- ``missing``: top-level packages not installed;
- ``nodes``: the GPUs of every live node Ray sees, joining the cluster ``ray.init()`` finds
  (``RAY_ADDRESS``, or one started with ``ray start`` on this machine) or starting a local one, as
  verl's ``main_ppo`` does (``ray_error`` when Ray cannot start); checked before the slow imports;
- ``broken``: modules installed but failing to import, with the error.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import io
import json
import logging
import sys


def missing_packages(modules: list[str]) -> list[str]:
    missing = []
    for name in modules:
        try:
            found = importlib.util.find_spec(name.split(".")[0]) is not None
        except (ImportError, ValueError):
            found = False
        if not found and name.split(".")[0] not in missing:
            missing.append(name.split(".")[0])
    return missing


def import_errors(modules: list[str]) -> dict[str, str]:
    broken = {}
    for name in modules:
        try:
            with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
                importlib.import_module(name)
        except Exception as error:  # noqa: BLE001 - any import failure is what we report
            broken[name] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    return broken


def ray_nodes() -> list[float]:
    import ray

    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        ray.init(include_dashboard=False, log_to_driver=False, logging_level=logging.ERROR)
        try:
            return [float(node.get("Resources", {}).get("GPU", 0)) for node in ray.nodes() if node.get("Alive")]
        finally:
            ray.shutdown()


def main() -> None:
    nnodes, gpus, modules = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3:]
    facts: dict = {"missing": missing_packages(["ray", *modules]), "nodes": None, "ray_error": None, "broken": {}}
    if not facts["missing"]:
        try:
            facts["nodes"] = ray_nodes()
        except Exception as error:  # noqa: BLE001 - reported to the user as one line
            facts["ray_error"] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        if facts["nodes"] is not None and sum(1 for found in facts["nodes"] if found >= gpus) >= nnodes:
            facts["broken"] = import_errors(modules)
    print(json.dumps(facts))


if __name__ == "__main__":
    main()
