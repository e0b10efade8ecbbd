"""Errors that reach the user as one line (and exit code 2), never as a traceback."""


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
