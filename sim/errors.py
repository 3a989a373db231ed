"""User-facing input errors.

Every problem with what a user hands us (scenario files, overrides, graph files,
experiment files, CLI arguments) is raised as :class:`InputError`, which the CLI
prints as one line and turns into exit status 2.
"""

from __future__ import annotations


class InputError(ValueError):
    """Bad user input: names the source (file), the field and what is allowed."""

    def __init__(self, source: str, field: str, message: str):
        self.source = str(source)
        self.field = str(field)
        self.message = message
        super().__init__(f"{self.source}: {self.field}: {message}")
