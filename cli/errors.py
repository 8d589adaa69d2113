"""Every error a command meets ends as one line on stderr and an exit code, never a traceback.

The root group (cli/main.py) calls `fail_with` for anything a command lets through. Exit codes:
2 for bad input (an argument, a setting, a file: `PantauError.bad_input`, Click's usage
errors), 1 for a failure (a server or the database away, anything unexpected). A command may
still choose its own code for what it handles itself (3: another run holds a lease).
"""

from __future__ import annotations

import logging
import sys
from typing import NoReturn

import click
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from config.settings import SettingsError
from core.domain.errors import PantauError
from core.domain.privacy import blank_numbers
from core.store.db import TRANSIENT
from core.store.errors import DatabaseUnavailable

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
# A path the user gave that cannot be read or written: their input, not our failure.
FILE_ERRORS = (FileNotFoundError, PermissionError, IsADirectoryError, NotADirectoryError)

log = logging.getLogger("pantau.cli")


class BadInput(PantauError):
    """Something a command checks itself before any work: a name, a combination of options."""

    bad_input = True


def one_line(text: str) -> str:
    """Text on one line, KK/NIK-shaped numbers blanked (an error may quote an answer)."""
    parts = [p.strip() for p in str(text).splitlines() if p.strip()]
    return blank_numbers("; ".join(parts))


def _driver_detail(exc: BaseException) -> str:
    """The database driver's own first line (e.g. `connection refused`), found in the causes."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, DBAPIError) and seen.orig is not None:
            lines = str(seen.orig).strip().splitlines()
            return lines[0] if lines else seen.orig.__class__.__name__
        seen = seen.__cause__ or seen.__context__
    return ""


def _database_line(exc: BaseException) -> str:
    detail = _driver_detail(exc)
    head = str(exc) if isinstance(exc, DatabaseUnavailable) else "database unavailable"
    if detail and detail not in head:
        head = f"{head}: {detail}"
    return (
        f"{head} (check PANTAU_DATABASE_URL and that the database server is running; "
        "a locked SQLite file frees itself: try again)"
    )


def explain(exc: BaseException) -> tuple[int, str]:
    """(exit code, one line) for an error no command handled itself."""
    if isinstance(exc, SettingsError):
        return EXIT_BAD_INPUT, f"bad setting: {exc}"
    if isinstance(exc, (DatabaseUnavailable, *TRANSIENT)):
        return EXIT_FAILURE, _database_line(exc)
    if isinstance(exc, PantauError):
        if exc.bad_input:
            return EXIT_BAD_INPUT, str(exc)
        if exc.retryable:
            return EXIT_FAILURE, f"{exc} (this may pass if tried again later)"
        return EXIT_FAILURE, str(exc) or exc.__class__.__name__
    if isinstance(exc, SQLAlchemyError):
        detail = _driver_detail(exc) or exc.__class__.__name__
        return EXIT_FAILURE, f"database error: {detail} (is it Pantau's database, migrated?)"
    if isinstance(exc, FILE_ERRORS):
        return EXIT_BAD_INPUT, f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    if isinstance(exc, OSError):
        return EXIT_FAILURE, f"{exc.filename or ''}: {exc.strerror or exc}".lstrip(": ")
    return (
        EXIT_FAILURE,
        f"unexpected {exc.__class__.__name__}: {exc} (PANTAU_LOG_LEVEL=DEBUG prints where)",
    )


def fail(line: str, code: int = EXIT_BAD_INPUT) -> NoReturn:
    """Print `pantau: line` on stderr and exit with code."""
    click.echo(f"pantau: {one_line(line)}", err=True)
    sys.exit(code)


def fail_with(exc: BaseException) -> NoReturn:
    """Print the one line an unhandled error deserves and exit with its code."""
    log.debug("command failed", exc_info=exc)
    try:
        code, line = explain(exc)
    except Exception:  # explaining must never be what fails
        code, line = EXIT_FAILURE, f"unexpected {exc.__class__.__name__}"
    fail(line, code)


def usage_line(exc: click.UsageError) -> str:
    """Click's usage error as one line naming the command and where its help is."""
    path = exc.ctx.command_path if exc.ctx is not None else "pantau"
    command = path.partition(" ")[2]
    message = exc.format_message().rstrip(".")
    return f"{command + ': ' if command else ''}{message} (see `{path} --help`)"


def debug_to_stderr(level: str) -> None:
    """At PANTAU_LOG_LEVEL=DEBUG, show the tracebacks `fail_with` logs."""
    if level == "DEBUG" and not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        log.addHandler(handler)
        log.setLevel(logging.DEBUG)
