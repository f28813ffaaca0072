"""Errors that the CLI turns into one line on stderr and a documented exit code.

Exit codes (docs/cli.md): 0 success, 1 the result failed its check, 2 bad input or usage,
3 partial result, 70 internal error.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
EXIT_INTERNAL = 70


class W2CError(Exception):
    """Base for every error w2c reports to a user; the message is one line."""

    exit_code = EXIT_BAD_INPUT

    def __init__(self, message: str) -> None:
        super().__init__(" ".join(str(message).split()))


class InputError(W2CError):
    """The user's input (file, flag, task, data) is unusable."""

    exit_code = EXIT_BAD_INPUT


class CheckpointError(InputError):
    """A checkpoint failed to load or validate."""


class CheckFailed(W2CError):
    """The command ran but its result failed the check it exists for."""

    exit_code = EXIT_CHECK_FAILED
