"""Errors that reach the user as one line (and exit code 2), never as a traceback; secrets taken out
of every message that is recorded."""

from __future__ import annotations

import os
import re


class UserError(Exception):
    """A mistake the user can fix: bad option, missing input, unknown name.

    The CLI prints ``str(error)`` on one line and exits with code 2.
    """


class VideoError(Exception):
    """A video that cannot be used: unreadable, corrupt, too short.

    ``reason`` is a short machine-friendly tag, the message says what happened.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.video: str | None = None  # content hash of the video, once known


def one_line(error: BaseException, limit: int = 300) -> str:
    """An exception's message on one line, at most ``limit`` characters (its type name if empty)."""
    return " ".join(str(error).split())[:limit] or type(error).__name__


def os_error_line(error: OSError) -> str:
    """An operating-system error (a read-only or full folder, a missing path) as one line naming the path."""
    where = error.filename if error.filename is not None else "a file"
    also = f" -> {error.filename2}" if error.filename2 is not None else ""
    what = error.strerror or one_line(error, 200)
    hint = "; check that the folder exists and can be written, and has free space" if error.errno in _WRITE_ERRNOS else ""
    return f"{where}{also}: {what}{hint}"


_WRITE_ERRNOS = {1, 13, 28, 30, 122}  # EPERM, EACCES, ENOSPC, EROFS, EDQUOT


_SECRET_NAME = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|CREDENTIAL", re.IGNORECASE)
_SECRET_SHAPES = [
    re.compile(r"(?i)(authorization\s*[:=]\s*)(\"?)[^\s\"',}]+(?:\s+[^\s\"',}]+)?"),  # Authorization: Bearer xyz
    re.compile(r"(?i)(bearer\s+)()[A-Za-z0-9._~+/=-]{8,}"),
    re.compile(r"()()\b(?:sk|pk|rk|hf|gsk|xai)[-_][A-Za-z0-9_-]{12,}"),  # API key shapes (OpenAI, Hugging Face, ...)
]
REDACTED = "[REDACTED]"


def secret_values(extra_env: list[str] | tuple[str, ...] = ()) -> list[str]:
    """Values of environment variables that hold secrets (names with KEY, TOKEN, SECRET ...), longest first."""
    names = {name for name in os.environ if _SECRET_NAME.search(name)} | set(extra_env)
    return sorted({os.environ[n] for n in names if len(os.environ.get(n, "")) >= 8}, key=len, reverse=True)


def redact(text: str, secrets: list[str] | None = None) -> str:
    """``text`` with secret values, ``Authorization`` values and API-key-shaped tokens replaced."""
    for secret in secret_values() if secrets is None else secrets:
        text = text.replace(secret, REDACTED)
    for shape in _SECRET_SHAPES:
        text = shape.sub(lambda m: f"{m.group(1)}{m.group(2)}{REDACTED}", text)
    return text
