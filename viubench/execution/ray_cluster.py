"""Joining a Ray cluster (``--executor ray``): the connection, and what the cluster's workers inherit.

Ray runs viubench's work on other machines, which must see the same files at the same paths (the
model, the data, the dataset being built, viubench itself in the same Python environment). The
driver's ``VIUBENCH_*`` and ``HF_*`` variables and ``PYTHONPATH`` go with every task and replica, and
so does the variable that ``--api-key-env`` names; every other variable is each machine's own.
"""

from __future__ import annotations

import logging
import os
import socket
from dataclasses import dataclass
from typing import Any

from viubench.errors import UserError, one_line

INSTALL = "--executor ray needs Ray: pip install 'viubench[ray]'"
FORWARDED_PREFIXES = ("VIUBENCH_", "HF_")
FORWARDED_NAMES = ("PYTHONPATH",)
CONNECT_TIMEOUT_S = 5.0  # a head node that takes no connection in this long is not there (Ray itself would wait minutes)


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UserError(INSTALL) from None
    return ray


def forwarded_env(extra: list[str] | None = None) -> dict[str, str]:
    """The driver's variables that the cluster's workers get: ``VIUBENCH_*``, ``HF_*``, ``PYTHONPATH``
    and the names in ``extra`` (an API key's variable)."""
    names = set(extra or []) | set(FORWARDED_NAMES)
    return {k: v for k, v in sorted(os.environ.items()) if k.startswith(FORWARDED_PREFIXES) or k in names}


@dataclass
class Cluster:
    """A connection to Ray: ``ray`` the module, ``runtime_env`` what every task and replica is given."""

    ray: Any
    runtime_env: dict[str, Any] | None
    joined_here: bool  # this process called ray.init (and disconnects when done)

    def options(self, **options: Any) -> dict[str, Any]:
        """Ray task or actor options, with the forwarded environment."""
        return options | ({"runtime_env": self.runtime_env} if self.runtime_env else {})

    def cpus(self) -> int:
        return max(1, int(self.ray.cluster_resources().get("CPU", 1)))

    def close(self) -> None:
        if self.joined_here and self.ray.is_initialized():
            self.ray.shutdown()
            self.joined_here = False


def connect(address: str | None, extra_env: list[str] | None = None) -> Cluster:
    """Join the cluster at ``address`` (``auto``: the one this machine belongs to; ``HOST:PORT``: its
    head node; None: a running local one, else a new one on this machine alone). A process that
    already joined one (``ray.init`` before) keeps it."""
    ray = import_ray()
    env = forwarded_env(extra_env)
    runtime_env = {"env_vars": env} if env else None
    if ray.is_initialized():
        return Cluster(ray, runtime_env, joined_here=False)
    if address not in (None, "auto") and not address.startswith("ray://"):
        check_reachable(address)
    try:
        ray.init(address=address, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING)
    except (ConnectionError, RuntimeError, ValueError) as error:
        where = f"--ray-address {address}" if address else "the local Ray cluster"
        raise UserError(
            f"{where}: cannot join it ({one_line(error, 160)}); start one with `ray start --head` (see docs/ray.md), "
            "or leave out --ray-address to run on a Ray cluster of this machine alone"
        ) from None
    return Cluster(ray, runtime_env, joined_here=True)


def check_reachable(address: str) -> None:
    """A one-line error, in seconds, for a ``HOST:PORT`` that is malformed or takes no connection."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isdigit():
        raise UserError(f"--ray-address {address!r}: give auto or HOST:PORT (the head node's address that `ray start --head` printed)")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
    except OSError as error:
        raise UserError(f"--ray-address {address}: no Ray head node answers there ({one_line(error, 120)}); check the address that `ray start --head` printed") from None
