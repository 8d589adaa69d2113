"""REST Service delivery as kpi does it: once per new submission, retries only on 502/503/504."""

from __future__ import annotations

import heapq
import itertools
import json
import random
import threading
import time

import requests

from sandbox.kobo.faults import Faults
from sandbox.kobo.store import Store
from sandbox.kobo.util import iso_time, new_uid

FAILED, PENDING, SUCCESS = 0, 1, 2
STATUS_STR = {FAILED: "Failed", PENDING: "Pending", SUCCESS: "Success"}
RETRYABLE = {502, 503, 504}


def subset(record: dict, fields: list[str]) -> dict:
    """Kpi's `subset_fields`: a bare name matches in any group; `_` fields only when listed."""
    if not fields:
        return record
    wanted = set(fields)

    def keep(key: str) -> bool:
        if key in wanted:
            return True
        if key.startswith("_"):
            return False
        parts = key.split("/")
        return any(p in wanted for p in parts) or any(key.startswith(w + "/") for w in wanted)

    out: dict = {}
    for key, value in record.items():
        if isinstance(value, list) and value and isinstance(value[0], dict):
            if key in wanted or (not key.startswith("_") and key.split("/")[-1] in wanted):
                out[key] = value
                continue
            rows = [{k: v for k, v in row.items() if keep(k)} for row in value]
            rows = [r for r in rows if r]
            if rows:
                out[key] = rows
        elif keep(key):
            out[key] = value
    return out


def new_log(hook_uid: str, submission_id: int) -> dict:
    """A fresh, pending hook log."""
    now = iso_time()
    return {
        "uid": new_uid("hl"),
        "hook_uid": hook_uid,
        "submission_id": submission_id,
        "tries": 0,
        "status": PENDING,
        "status_str": STATUS_STR[PENDING],
        "status_code": None,
        "message": "",
        "date_created": now,
        "date_modified": now,
    }


class HookDispatcher:
    """Delivers hook logs from a pool of threads and records every attempt.

    Kpi delivers from a bounded pool of Celery workers: up to `concurrency` deliveries are in
    flight at once (a bulk seed of thousands of records must not open thousands of connections
    to the receiver), each on its own thread so a slow receiver never holds up the others.
    Threads start as work arrives and keep one keep-alive HTTP session each.
    """

    def __init__(
        self,
        store: Store,
        faults: Faults,
        retry_scale: float = 1.0,
        timeout: float = 30.0,
        max_tries: int = 5,
        seed: int | None = None,
        concurrency: int = 32,
    ) -> None:
        self.store = store
        self.concurrency = max(1, concurrency)
        self.faults = faults
        self.retry_scale = retry_scale
        self.timeout = timeout
        self.max_tries = max_tries
        self._rng = random.Random(seed)
        self._heap: list[tuple[float, int, str]] = []
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._stopped = False
        self._inflight = 0
        self._threads = 0
        self._waiting = 0
        self._local = threading.local()

    def enqueue(self, log_uid: str, delay: float = 0.0) -> None:
        """Schedule a delivery attempt for a hook log."""
        with self._cond:
            heapq.heappush(self._heap, (time.monotonic() + delay, next(self._seq), log_uid))
            if not self._waiting and self._threads < self.concurrency and not self._stopped:
                self._threads += 1
                name = f"kobo-hooks-{self._threads}"
                threading.Thread(target=self._deliver_loop, name=name, daemon=True).start()
            self._cond.notify()

    def requeue_pending(self) -> int:
        """Schedule every delivery left pending by a previous run (kpi re-queues stalled ones)."""
        pending = [
            log["uid"] for log in self.store.children("hook_log") if log["status"] == PENDING
        ]
        for log_uid in pending:
            self.enqueue(log_uid)
        return len(pending)

    def idle(self) -> bool:
        """True when nothing is scheduled or in flight."""
        with self._cond:
            return not self._heap and self._inflight == 0

    def stop(self) -> None:
        """Stop scheduling; in-flight attempts finish on their own."""
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Forget scheduled attempts (admin reset)."""
        with self._cond:
            self._heap.clear()

    def _deliver_loop(self) -> None:
        """One delivery thread: take the next due attempt, make it, repeat until stopped."""
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    wait = self._heap[0][0] - time.monotonic() if self._heap else None
                    self._waiting += 1
                    self._cond.wait(wait)
                    self._waiting -= 1
                if self._stopped:
                    return
                _, _, log_uid = heapq.heappop(self._heap)
                self._inflight += 1
            try:
                self._attempt(log_uid)
            finally:
                with self._cond:
                    self._inflight -= 1

    def _session(self) -> requests.Session:
        """The calling thread's HTTP session."""
        session = getattr(self._local, "session", None)
        if session is None:
            session = self._local.session = requests.Session()
        return session

    def _record(self, log: dict, **attempt: object) -> None:
        doc = {
            "uid": new_uid("ha"),
            "hook_uid": log["hook_uid"],
            "log_uid": log["uid"],
            "submission_id": log["submission_id"],
            "attempt": log["tries"],
            "at": iso_time(),
            **attempt,
        }
        self.store.put("hook_attempt", doc["uid"], doc, parent=log["hook_uid"])

    def _finish(self, log: dict, status: int, code: int | None, message: str) -> None:
        log.update(
            status=status,
            status_str=STATUS_STR[status],
            status_code=code,
            message=message,
            date_modified=iso_time(),
        )
        self.store.put("hook_log", log["uid"], log, parent=log["hook_uid"])

    def _attempt(self, log_uid: str) -> None:
        log = self.store.get("hook_log", log_uid)
        if log is None:
            return
        hook = self.store.get("hook", log["hook_uid"])
        record = self.store.get_submission(log["submission_id"])
        if hook is None or record is None:
            self._finish(log, FAILED, None, "hook or submission no longer exists")
            return
        if log["tries"] == 0 and self._dropped_by_fault(log):
            return
        code, error, message = self._send(log, hook, record)
        self._settle(log_uid, log, code, error, message)

    def attempt_now(self, log_uid: str) -> tuple[bool, int | None, str]:
        """One delivery in the caller's thread and no retry after it: kpi's per-log retry.

        Returns whether it succeeded, the receiver's status code and its answer (or the error).
        """
        log = self.store.get("hook_log", log_uid)
        hook = self.store.get("hook", log["hook_uid"]) if log else None
        record = self.store.get_submission(log["submission_id"]) if log else None
        if log is None or hook is None or record is None:
            return False, None, "hook or submission no longer exists"
        code, error, message = self._send(log, hook, record)
        ok = code is not None and code < 400
        said = message if ok else error or message
        self._record(log, outcome="success" if ok else "failed", status_code=code, error=error)
        self._finish(log, SUCCESS if ok else FAILED, code, said)
        return ok, code, said

    def _send(self, log: dict, hook: dict, record: dict) -> tuple[int | None, str | None, str]:
        """Count a try and POST the delivery once: status code, transport error, answer."""
        log["tries"] += 1
        body, headers, auth = self._request(hook, record, log["submission_id"])
        return self._post(hook["endpoint"], body, headers, auth)

    def _dropped_by_fault(self, log: dict) -> bool:
        """Apply the sandbox's hook faults to a first attempt; True when it was dropped."""
        for rule in self.faults.take({"hooks"}):
            if rule.action == "drop":
                log["tries"] = 1
                self._record(log, outcome="dropped", status_code=None, error=None)
                self._finish(log, FAILED, None, "sandbox fault: delivery dropped")
                return True
            if rule.action == "slow":
                time.sleep(rule.seconds)
        return False

    def _request(
        self, hook: dict, record: dict, submission_id: int
    ) -> tuple[bytes, dict, tuple[str, str] | None]:
        """Body, headers and basic auth of one delivery, built as kpi builds them."""
        headers = {"User-Agent": f"KoboToolbox external service #{hook['uid']}"}
        if hook.get("export_type", "json") == "xml":
            body = self.store.get_submission_xml(submission_id) or b""
            headers["Content-Type"] = "application/xml"
        else:
            # Escape all non-ASCII as \uXXXX and send no charset, as kpi does.
            text = json.dumps(subset(record, hook.get("subset_fields") or []))
            template = hook.get("payload_template") or ""
            if template:
                text = template.replace("%SUBMISSION%", text)
            body = text.encode("ascii", "backslashreplace")
            headers["Content-Type"] = "application/json"
        settings = hook.get("settings") or {}
        headers.update(settings.get("custom_headers") or {})
        auth = None
        if hook.get("auth_level") == "basic_auth":
            auth = (settings.get("username", ""), settings.get("password", ""))
        return body, headers, auth

    def _post(
        self, endpoint: str, body: bytes, headers: dict, auth: tuple[str, str] | None
    ) -> tuple[int | None, str | None, str]:
        """POST one delivery: the status code (if any), the transport error, the answer's text."""
        code: int | None = None
        error: str | None = None
        message = ""
        try:
            resp = self._session().post(
                endpoint, data=body, headers=headers, auth=auth, timeout=self.timeout
            )
            code = resp.status_code
            message = resp.text[:1000]
        except requests.exceptions.ReadTimeout:
            code, error = 504, "read timeout"  # kpi treats a read timeout as a 504
        except requests.RequestException as exc:
            error = f"{type(exc).__name__}: {exc}"
        return code, error, message

    def _settle(
        self, log_uid: str, log: dict, code: int | None, error: str | None, message: str
    ) -> None:
        """Record the attempt: success, a retry after a jittered backoff, or failure."""
        if code is not None and code < 400:
            self._record(log, outcome="success", status_code=code, error=None)
            self._finish(log, SUCCESS, code, message)
        elif code in RETRYABLE and log["tries"] < self.max_tries:
            ceiling = min(60 * 2 ** (log["tries"] - 1), 1200)
            delay = self._rng.uniform(0, ceiling)
            self._record(log, outcome="retry", status_code=code, error=error, next_delay=delay)
            self._finish(log, PENDING, code, error or message)
            self.enqueue(log_uid, delay * self.retry_scale)
        else:
            self._record(log, outcome="failed", status_code=code, error=error)
            self._finish(log, FAILED, code, error or message)
