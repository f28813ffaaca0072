"""Errors that the CLI turns into one line on stderr and a documented exit code.

Exit codes (docs/cli.md): 0 success, 1 the result failed its check, 2 bad input or usage,
3 partial result, 4 checked but not verified (nothing failed, but a claim is sampled rather than
proved or exhaustive), 130 interrupted (Ctrl-C), 70 internal error (a bug in w2c).
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_CHECK_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_PARTIAL = 3
EXIT_CHECKED = 4  # nothing failed, but correctness or fidelity is only sampled (CHECKED)
EXIT_INTERRUPTED = 130
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


class UserCodeStopped(BaseException):
    """User code (w2c.usercode) exited, hung or died, so no answer will come.

    A BaseException: hypothesis and the verifier's "any Exception from the program is a finding"
    handlers must not swallow it. The exit code is the role's: a program under verification
    that stops is NOT VERIFIED (1); a task file that stops is bad input (2).
    """

    def __init__(self, message: str, role: str) -> None:
        super().__init__(message)
        self.message = " ".join(message.split())
        self.role = role
        self.exit_code = EXIT_CHECK_FAILED if role == "program" else EXIT_BAD_INPUT
