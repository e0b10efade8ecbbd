"""VideoRef: a video in a prompt (a file, a frame folder, or stored frames), with optional clip bounds."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator


class VideoRef(BaseModel):
    """A video in a prompt: a file or a frame folder (both sampled by the task's VideoSpec), or stored
    frames used as they are.

    A frame folder holds numbered images (``00001.jpg`` ...) that stand for a video at ``folder_fps``:
    image number ``n`` shows time ``n / folder_fps`` and the numbers start at ``first_index``
    (``viubench/video/load.py`` says why).
    """

    path: str | None = None
    folder: str | None = None  # a frame folder
    folder_fps: float | None = Field(None, gt=0)  # its frame rate
    first_index: int = Field(1, ge=0)  # the number of its first image
    frames: list[str] | None = None
    timestamps: list[float] | None = None  # of stored frames
    sample_fps: float | None = None  # of stored frames
    start: float | None = None  # clip bounds in seconds (files and frame folders)
    end: float | None = None

    @model_validator(mode="after")
    def _folder_has_a_rate(self) -> "VideoRef":
        if self.folder is not None and self.folder_fps is None:
            raise ValueError("a frame folder needs its frame rate (folder_fps)")
        return self
