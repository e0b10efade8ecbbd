"""Where an eval's samples run: this machine (the default) or a Ray cluster.

The engine journals, resumes and counts; a :class:`SampleRunner` turns the task's pending samples into
one journal record per sample. The local runner decodes in media worker processes and generates with a
backend in this process; the Ray runner (``viubench.runner.ray_executor``) sends the same batches to
model replicas on a cluster. Records come batch after batch in the order of the samples, except from an
API backend run locally, which is fed continuously and answers in any order; results are derived in a
fixed order (``runner.results``), so they are the same bytes wherever and in whatever order samples ran.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Iterator

from viubench.backends.base import GenerationConfig
from viubench.rundir.record import SampleRecord
from viubench.task.sample import Sample, UnreadableSample
from viubench.video.spec import VideoSpec


class SampleRunner(ABC):
    """Samples in, journal records out: the model (one backend, or replicas of it) and its media decoding."""

    @abstractmethod
    def describe(self) -> dict[str, Any]:
        """The model as its backend describes itself (written into the run manifest)."""

    @abstractmethod
    def records(self, samples: Iterator[Sample | UnreadableSample], spec: VideoSpec, generation: GenerationConfig) -> Iterator[SampleRecord]:
        """One journal record per sample, batch after batch in the order of ``samples``."""

    @abstractmethod
    def close(self) -> None:
        """Release the model(s); safe to call more than once."""
