"""The sandbox's state in SQLite: JSON documents by kind, submissions and blobs; thread-safe."""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    kind TEXT NOT NULL, uid TEXT NOT NULL, parent TEXT, doc TEXT NOT NULL,
    PRIMARY KEY (kind, uid));
CREATE INDEX IF NOT EXISTS docs_parent ON docs (kind, parent);
CREATE TABLE IF NOT EXISTS blobs (uid TEXT PRIMARY KEY, content BLOB NOT NULL);
-- AUTOINCREMENT so an _id is never reused after a hard delete, as in Kobo.
CREATE TABLE IF NOT EXISTS submissions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, asset_uid TEXT NOT NULL, uuid TEXT NOT NULL,
    doc TEXT NOT NULL, xml BLOB);
CREATE INDEX IF NOT EXISTS submissions_asset ON submissions (asset_uid, id);
CREATE INDEX IF NOT EXISTS submissions_uuid ON submissions (asset_uid, uuid);
CREATE TABLE IF NOT EXISTS replaced (
    asset_uid TEXT NOT NULL, uuid TEXT NOT NULL, submission_id INTEGER NOT NULL,
    PRIMARY KEY (asset_uid, uuid));
"""


class Store:
    """One SQLite connection guarded by a re-entrant lock; callers may hold `lock` across steps."""

    def __init__(self, path: str | Path) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.lock = threading.RLock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Hold the lock and one SQLite transaction for several steps."""
        with self.lock:
            self._db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    # Generic documents -------------------------------------------------------------------
    def put(self, kind: str, uid: str, doc: dict, parent: str | None = None) -> None:
        """Insert or replace a document, keeping its insertion order."""
        with self.lock:
            self._db.execute(
                "INSERT INTO docs (kind, uid, parent, doc) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (kind, uid) DO UPDATE SET doc = excluded.doc",
                (kind, uid, parent, json.dumps(doc)),
            )

    def get(self, kind: str, uid: str) -> dict | None:
        """One document, or None."""
        with self.lock:
            row = self._db.execute(
                "SELECT doc FROM docs WHERE kind = ? AND uid = ?", (kind, uid)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def children(self, kind: str, parent: str | None = None) -> list[dict]:
        """Documents of a kind (under a parent, if given), oldest first."""
        with self.lock:
            if parent is None:
                rows = self._db.execute(
                    "SELECT doc FROM docs WHERE kind = ? ORDER BY rowid", (kind,)
                ).fetchall()
            else:
                rows = self._db.execute(
                    "SELECT doc FROM docs WHERE kind = ? AND parent = ? ORDER BY rowid",
                    (kind, parent),
                ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def count_by(self, kind: str, field: str) -> dict[str, int]:
        """How many documents of a kind have each value of one top-level field."""
        with self.lock:
            rows = self._db.execute(
                "SELECT json_extract(doc, ?), COUNT(*) FROM docs WHERE kind = ? GROUP BY 1",
                (f"$.{field}", kind),
            ).fetchall()
        return {str(value): int(n) for value, n in rows}

    def delete(self, kind: str, uid: str) -> bool:
        """Delete a document; True if it existed."""
        with self.lock:
            cur = self._db.execute("DELETE FROM docs WHERE kind = ? AND uid = ?", (kind, uid))
        return cur.rowcount > 0

    def put_blob(self, uid: str, content: bytes) -> None:
        """Store file content."""
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO blobs (uid, content) VALUES (?, ?)", (uid, content)
            )

    def get_blob(self, uid: str) -> bytes | None:
        """File content, or None."""
        with self.lock:
            row = self._db.execute("SELECT content FROM blobs WHERE uid = ?", (uid,)).fetchone()
        return bytes(row[0]) if row else None

    # Submissions -------------------------------------------------------------------------
    def insert_submission(self, asset_uid: str, uuid: str, doc: dict, xml: bytes | None) -> int:
        """Store a new submission and return its `_id` (also written into the doc)."""
        with self.lock:
            cur = self._db.execute(
                "INSERT INTO submissions (asset_uid, uuid, doc, xml) VALUES (?, ?, '{}', ?)",
                (asset_uid, uuid, xml),
            )
            new_id = int(cur.lastrowid)
            doc["_id"] = new_id
            self._db.execute(
                "UPDATE submissions SET doc = ? WHERE id = ?", (json.dumps(doc), new_id)
            )
        return new_id

    def update_submission(self, sub_id: int, uuid: str, doc: dict, xml: bytes | None) -> None:
        """Replace a submission's current version (an edit)."""
        with self.lock:
            self._db.execute(
                "UPDATE submissions SET uuid = ?, doc = ?, xml = ? WHERE id = ?",
                (uuid, json.dumps(doc), xml, sub_id),
            )

    def get_submission(self, sub_id: int, asset_uid: str | None = None) -> dict | None:
        """One submission doc by `_id`."""
        with self.lock:
            row = self._db.execute(
                "SELECT doc, asset_uid FROM submissions WHERE id = ?", (sub_id,)
            ).fetchone()
        if not row or (asset_uid is not None and row[1] != asset_uid):
            return None
        return json.loads(row[0])

    def get_submission_xml(self, sub_id: int) -> bytes | None:
        """The submitted XML of a submission's current version."""
        with self.lock:
            row = self._db.execute("SELECT xml FROM submissions WHERE id = ?", (sub_id,)).fetchone()
        return bytes(row[0]) if row and row[0] is not None else None

    def find_current(self, asset_uid: str, uuid: str) -> dict | None:
        """The submission whose current instance id is `uuid`."""
        with self.lock:
            row = self._db.execute(
                "SELECT doc FROM submissions WHERE asset_uid = ? AND uuid = ?", (asset_uid, uuid)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def find_replaced(self, asset_uid: str, uuid: str) -> int | None:
        """The `_id` whose older, replaced version had instance id `uuid`."""
        with self.lock:
            row = self._db.execute(
                "SELECT submission_id FROM replaced WHERE asset_uid = ? AND uuid = ?",
                (asset_uid, uuid),
            ).fetchone()
        return int(row[0]) if row else None

    def mark_replaced(self, asset_uid: str, uuid: str, sub_id: int) -> None:
        """Remember an instance id that an edit replaced."""
        with self.lock:
            self._db.execute(
                "INSERT OR REPLACE INTO replaced (asset_uid, uuid, submission_id) VALUES (?, ?, ?)",
                (asset_uid, uuid, sub_id),
            )

    def delete_submission(self, sub_id: int, asset_uid: str) -> bool:
        """Hard-delete a submission; True if it existed."""
        with self.lock:
            cur = self._db.execute(
                "DELETE FROM submissions WHERE id = ? AND asset_uid = ?", (sub_id, asset_uid)
            )
            self._db.execute("DELETE FROM replaced WHERE submission_id = ?", (sub_id,))
        return cur.rowcount > 0

    def submissions(self, asset_uid: str) -> list[dict]:
        """Every submission doc of an asset, by `_id`."""
        with self.lock:
            rows = self._db.execute(
                "SELECT doc FROM submissions WHERE asset_uid = ? ORDER BY id", (asset_uid,)
            ).fetchall()
        return [json.loads(r[0]) for r in rows]

    def submissions_after(
        self, asset_uid: str, after_id: int, limit: int
    ) -> tuple[int, list[dict]]:
        """(how many have `_id` > after_id, the first `limit` of them by `_id`)."""
        with self.lock:
            count = self._db.execute(
                "SELECT COUNT(*) FROM submissions WHERE asset_uid = ? AND id > ?",
                (asset_uid, after_id),
            ).fetchone()[0]
            rows = self._db.execute(
                "SELECT doc FROM submissions WHERE asset_uid = ? AND id > ? ORDER BY id LIMIT ?",
                (asset_uid, after_id, limit),
            ).fetchall()
        return int(count), [json.loads(r[0]) for r in rows]

    def count_submissions(self, asset_uid: str) -> int:
        """How many submissions an asset has."""
        with self.lock:
            return int(
                self._db.execute(
                    "SELECT COUNT(*) FROM submissions WHERE asset_uid = ?", (asset_uid,)
                ).fetchone()[0]
            )

    def reset(self) -> None:
        """Forget everything except the id sequence (ids are never reused)."""
        with self.transaction():
            for table in ("docs", "blobs", "submissions", "replaced"):
                self._db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close the connection."""
        with self.lock:
            self._db.close()
