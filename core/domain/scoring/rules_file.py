"""A strict reader for rules files: every key is checked and typos are reported by name."""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from core.domain.scoring.errors import RulesError


class _Required:
    """Marks a key without a default."""


_REQUIRED: Any = _Required()


def read_sections(
    top: Table, readers: Iterable[Callable[[Table], dict[str, Any]]]
) -> dict[str, Any]:
    """Merge what each section reader returns, then reject unknown top-level keys."""
    values: dict[str, Any] = {}
    # Sections are read in file order, so the first bad key found is the one reported.
    for read in readers:
        values.update(read(top))
    top.done()
    return values


def read_toml(path: str | Path) -> tuple[dict[str, Any], str]:
    """Parse a TOML rules file; return its data and a display name for errors."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle), path.name
    except FileNotFoundError as exc:
        raise RulesError(f"rules file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"{path.name}: not valid TOML: {exc}") from exc


class Table:
    """One TOML table; typed getters consume keys so that `done()` can reject unknown ones."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        self.source = source
        self.where = where
        if not isinstance(data, dict):
            raise self.error(f"'{where}' must be a table")
        self._data = dict(data)
        self._seen: set[str] = set()

    def error(self, message: str) -> RulesError:
        """Build an error that names the file."""
        return RulesError(f"{self.source}: {message}")

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        """Return whether the key is present."""
        return key in self._data

    def _get(self, key: str, default: Any) -> Any:
        self._seen.add(key)
        if key in self._data:
            return self._data[key]
        if default is _REQUIRED:
            raise self.error(f"missing key '{self._key(key)}'")
        return default

    def table(self, key: str) -> Table:
        """Return a required sub-table."""
        return Table(self._get(key, _REQUIRED), self._key(key), self.source)

    def keys(self) -> list[str]:
        """Return all keys (for tables whose keys are names, e.g. per-role tables)."""
        return list(self._data)

    def string(
        self, key: str, choices: Iterable[str] | None = None, default: Any = _REQUIRED
    ) -> str:
        """Return a string, optionally one of `choices`."""
        value = self._get(key, default)
        if not isinstance(value, str) or not value:
            raise self.error(f"'{self._key(key)}' must be a non-empty string, got {value!r}")
        if choices is not None and value not in (allowed := list(choices)):
            raise self.error(f"'{self._key(key)}' must be one of {allowed}, got {value!r}")
        return value

    def boolean(self, key: str, default: Any = _REQUIRED) -> bool:
        """Return a boolean."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(f"'{self._key(key)}' must be true or false, got {value!r}")
        return value

    def integer(self, key: str, minimum: int | None = None, maximum: int | None = None) -> int:
        """Return an integer within optional bounds."""
        value = self._get(key, _REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(f"'{self._key(key)}' must be an integer, got {value!r}")
        self._check_range(key, value, minimum, maximum)
        return value

    def number(self, key: str, minimum: float | None = None, maximum: float | None = None) -> float:
        """Return a number (integer or float) within optional bounds, as float."""
        value = self._get(key, _REQUIRED)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(f"'{self._key(key)}' must be a number, got {value!r}")
        self._check_range(key, value, minimum, maximum)
        return float(value)

    def strings(
        self, key: str, choices: Iterable[str] | None = None, allow_empty: bool = False
    ) -> tuple[str, ...]:
        """Return a list of strings, optionally each one of `choices`."""
        value = self._get(key, _REQUIRED)
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise self.error(f"'{self._key(key)}' must be a list of strings, got {value!r}")
        if not value and not allow_empty:
            raise self.error(f"'{self._key(key)}' must not be empty")
        if choices is not None:
            allowed = list(choices)
            bad = [v for v in value if v not in allowed]
            if bad:
                raise self.error(f"'{self._key(key)}' has unknown {bad}; allowed: {allowed}")
        return tuple(value)

    def _check_range(
        self, key: str, value: float, minimum: float | None, maximum: float | None
    ) -> None:
        if minimum is not None and value < minimum:
            raise self.error(f"'{self._key(key)}' must be >= {minimum}, got {value!r}")
        if maximum is not None and value > maximum:
            raise self.error(f"'{self._key(key)}' must be <= {maximum}, got {value!r}")

    def done(self) -> None:
        """Raise when the table holds keys no getter asked for (most likely typos)."""
        unknown = sorted(set(self._data) - self._seen)
        if unknown:
            names = ", ".join(f"'{self._key(k)}'" for k in unknown)
            raise self.error(f"unknown key(s) {names}")
