"""Deterministic planning: which item comes from which video, with which random stream.

Every item owns a random generator seeded from (seed, item stream, subtype, index) alone, and picks its
source video by rendezvous hashing over the usable videos' content hashes. So the plan does not depend on
worker count or order, and dropping a video that turns out to be broken only moves that video's items.

The item stream is the dataset's identity (its mix name and purpose, ``Mix.stream``): two datasets of
different identity draw independent items even from the same videos and seed, so a training mix never
repeats an evaluation item. Two builds of one identity share their items: a smaller build is exactly the
first items of a bigger one.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import numpy as np

from viubench.dataset.mix import Component, GroundingComponent, Mix
from viubench.dataset.store import FORMAT_VERSION
from viubench.pretext.content import SourceVideo


@dataclass(frozen=True)
class ItemPlan:
    id: str
    subtype: str
    index: int
    component: Component
    source: SourceVideo
    donor: SourceVideo | None
    seed: int
    stream: str

    def rng(self) -> np.random.Generator:
        key = (_stable_int(self.stream), _stable_int(self.subtype), self.index)
        return np.random.default_rng(np.random.SeedSequence(self.seed, spawn_key=key))

    def fingerprint(self, mix: Mix) -> str:
        """Changes whenever anything that shapes this item's bytes changes."""
        payload = {
            "format": FORMAT_VERSION,
            "id": self.id,
            "component": self.component.model_dump(mode="json"),
            "frames": mix.frames.model_dump(mode="json"),
            "source": self.source.key,
            "donor": self.donor.key if self.donor else None,
            "seed": self.seed,
            "stream": self.stream,
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def item_id(subtype: str, index: int) -> str:
    return f"{subtype}-{index:05d}"


def plan_items(mix: Mix, videos: list[SourceVideo], seed: int) -> tuple[list[ItemPlan], list[tuple[str, str]]]:
    """The items of ``mix`` over ``videos``, and ``(item_id, reason)`` for items that cannot exist."""
    plans: list[ItemPlan] = []
    impossible: list[tuple[str, str]] = []
    stream = mix.stream()
    for component in mix.components:
        subtype = component.subtype()
        needs_donor = isinstance(component, GroundingComponent) and component.perturbation == "Swap"
        for index in range(component.count):
            ident = item_id(subtype, index)
            source = _rendezvous(videos, f"{seed}/{stream}/{ident}/source")
            donor = None
            if needs_donor:
                others = [v for v in videos if v.key != source.key]
                if not others:
                    impossible.append((ident, "Swap needs at least two usable videos"))
                    continue
                donor = _rendezvous(others, f"{seed}/{stream}/{ident}/donor")
            plans.append(ItemPlan(ident, subtype, index, component, source, donor, seed, stream))
    return plans, impossible


def _rendezvous(videos: list[SourceVideo], salt: str) -> SourceVideo:
    return max(videos, key=lambda v: hashlib.sha256(f"{salt}/{v.key}".encode()).digest())


def _stable_int(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
