"""The data plane's errors. Each one that stops a run leaves its checkpoint resumable: the
operation that raises it adds to the hint how to continue (``--resume``).

Ctrl-C is not turned into an error: the run saves its checkpoint and ``KeyboardInterrupt``
goes on up, for the CLI to say how to resume."""

from __future__ import annotations

from dynaform.errors import DynaformError


class DataError(DynaformError):
    """A data command cannot go on (bad input, missing table, unusable checkpoint …)."""


class RunStoppedError(DataError):
    """The run stopped before the end; nothing was rejected for it and the checkpoint (if any)
    records only what DynamoDB confirmed."""

    def resumable(self, how: str) -> RunStoppedError:
        """The same error, its hint saying how to continue."""
        hint = f"{self.hint}; then {how}" if self.hint else how
        return type(self)(self.message, hint=hint)


class EndpointUnreachableError(RunStoppedError):
    """Connections were refused, reset or timed out for longer than the client's patience."""


class WriteStalledError(RunStoppedError):
    """DynamoDB kept throttling (or failing with 5xx) a batch past the overall deadline."""
