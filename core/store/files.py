"""Files that hold family data are private to the user Pantau runs as (UU 27/2022 PDP).

The embedded database, its WAL, the broker file and the demo's secrets live under `var/`. Left
to the umask they are 0644 in a 0755 folder: readable by every local user.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create path (and missing parents) 0700; a folder made loose by an older run is tightened.

    Only folders we create are tightened on creation; an existing one is tightened only when it
    is ours and others can read it (never a shared folder such as /tmp, which is sticky).
    """
    path = Path(path)
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        os.chmod(path, DIR_MODE)  # mkdir's mode is masked by the umask
        return path
    info = path.stat()
    if info.st_uid == os.getuid() and not info.st_mode & stat.S_ISVTX and info.st_mode & 0o077:
        os.chmod(path, DIR_MODE)
    return path


def private_file(path: Path) -> Path:
    """Create path empty and 0600 if missing; make an existing file of ours 0600."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path)
    else:
        os.close(fd)
    return path


def _tighten(path: Path) -> None:
    """Make an existing file of ours 0600. One gone meanwhile is nothing to tighten.

    SQLite removes a database's -wal and -shm when its last connection closes: with two
    processes starting at once (gunicorn's workers) one can remove them between the other's
    look and its chmod, which had failed that worker's start.
    """
    try:
        info = path.stat()
        if info.st_uid == os.getuid() and info.st_mode & 0o077:
            os.chmod(path, FILE_MODE)
    except FileNotFoundError:
        pass


def private_sqlite(path: Path) -> Path:
    """A SQLite database file and its folder made private before SQLite opens them.

    SQLite gives the `-wal` and `-shm` files it creates the mode of the database file; ones
    left by an older, looser run are tightened here.
    """
    path = Path(path)
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        _tighten(path.with_name(path.name + suffix))  # never created here: SQLite's own
    return path
