"""The error types kegan raises for problems a user can fix.

Every stage validates its input before doing real work and raises one of these with a message that
names the file, row, column or setting at fault and what was expected. The CLI turns them into a
one-line ``error: ...`` and a non-zero exit; tracebacks are kept for real bugs.
"""


class KeganError(Exception):
    """Base class of all user-facing kegan errors."""


class DataError(KeganError):
    """Input data is malformed: a capture, a table, a dataset directory or a model directory."""


class ParameterError(KeganError):
    """A setting or option is invalid or inconsistent with the data."""


class TrainingError(KeganError):
    """Training cannot go on (for example a loss became NaN); the message names the step."""
