"""The two kinds of error a user sees: a bad configuration file and a refused action."""

from __future__ import annotations

from pathlib import Path


class ConfigError(ValueError):
    """A configuration file is wrong. The message names the file, the place in it and the field."""

    def __init__(self, path: Path | str, message: str, *, where: str | None = None, field: str | None = None):
        self.path, self.message, self.where, self.field = str(path), message, where, field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [self.path]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(f"field '{self.field}'")
        return ": ".join([", ".join(parts), self.message])


class ActionRefused(Exception):
    """A person's action is not allowed (wrong person, wrong state, unknown id). Nothing was changed."""
