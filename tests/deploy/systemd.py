"""A stand-in for systemd in the guide test: runs deploy/'s units as the guide's systemctl says.

tests/deploy/bin/systemctl sends each call here over a Unix socket and waits for the answer,
so a block's `systemctl stop …` has taken effect before its next line runs, as with systemd.
A unit the test's copy of deploy/ does not have is refused (exit 5), a oneshot service (the
backup) runs to its end, and the long-running ones (web, worker instances, beat) are started
with their ExecStart and the environment systemd would give them (Environment=, then
EnvironmentFile=; nothing from the caller's shell), and stopped as KillMode=mixed does.
Services of Debian packages the test runs for real (nginx) are given by their command; `reload`
sends them SIGHUP, as their ExecReload does.
"""

from __future__ import annotations

import json
import os
import signal
import socketserver
import subprocess
import tempfile
import threading
from pathlib import Path

from tests.deploy import units

VERBS = {
    "start",
    "stop",
    "restart",
    "reload",
    "enable",
    "disable",
    "daemon-reload",
    "status",
    "is-active",
}


class FakeSystemd:
    """Services of one test, by unit name (`pantau-worker@1.service`)."""

    def __init__(
        self, unit_dir: Path, log_dir: Path, packaged: dict[str, list[str]] | None = None
    ) -> None:
        self.unit_dir, self.log_dir = unit_dir, log_dir
        self.services: dict[str, subprocess.Popen] = {}
        # A package's service (`nginx.service`) -> its command, run in the foreground.
        self.packaged = packaged or {}
        self.packaged_running: dict[str, subprocess.Popen] = {}
        self.actions: list[tuple[str, str]] = []  # (start|stop, unit), in order
        self.calls: list[list[str]] = []
        self._lock = threading.Lock()
        self._actions_lock = threading.Lock()
        self._folder = tempfile.mkdtemp(prefix="pantau-systemd-")  # short: AF_UNIX path limit
        self.socket = os.path.join(self._folder, "systemd.sock")
        manager = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                argv = json.loads(self.rfile.readline())
                rc, out, err = manager.call(argv)
                reply = {"rc": rc, "stdout": out, "stderr": err}
                self.wfile.write(json.dumps(reply).encode() + b"\n")

        self._server = socketserver.UnixStreamServer(self.socket, Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop every service and the socket."""
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            self._stop_together(list(self.services))
            for name in list(self.packaged_running):
                self._stop_packaged(name)
        os.unlink(self.socket)
        os.rmdir(self._folder)

    def call(self, argv: list[str]) -> tuple[int, str, str]:
        """One systemctl call: (exit code, stdout, stderr)."""
        self.calls.append(argv)
        options = [a for a in argv if a.startswith("-")]
        words = [a for a in argv if not a.startswith("-")]
        if not words or words[0] not in VERBS:
            return 2, "", f"systemctl (test stand-in): unsupported call {argv}\n"
        verb, names = words[0], words[1:]
        if verb == "enable" and "--now" in options:
            verb = "start"
        packaged = [n if "." in n else f"{n}.service" for n in names]
        if names and all(n in self.packaged for n in packaged):
            with self._lock:
                return self._call_packaged(verb, packaged)
        targets = []
        for name in names:
            try:
                targets.append(units.resolve(self.unit_dir, name))
            except LookupError as exc:
                return 5, "", f"Failed to {verb} {name}: {exc}\n"
        if verb == "reload":
            return (
                1,
                "",
                f"Failed to reload {' '.join(names)}: Job type reload is not applicable.\n",
            )
        if verb not in ("start", "stop", "restart"):
            return 0, "", ""  # enable, disable, daemon-reload: nothing to run in a test
        with self._lock:
            plan = [(path, inst, self._names(path, inst)) for path, inst in targets]
            if verb != "start":
                # systemd runs the jobs of one call together: stop them side by side.
                self._stop_together([n for _, _, names in plan for n in names])
            if verb == "stop":
                return 0, "", ""
            for path, instance, names in plan:
                if path.suffix == ".service" and units.is_oneshot(path):
                    failed = self._run_oneshot(path, instance)
                    if failed:
                        return 1, "", failed
                for name in names:
                    self._start(name, path, instance)
        return 0, "", ""

    def _names(self, path: Path, instance: str) -> list[str]:
        """Service names a unit argument stands for (`x@*`: every running instance)."""
        if path.suffix != ".service" or units.is_oneshot(path):
            return []
        if instance == "*":
            prefix = path.name.split("@")[0] + "@"
            return [n for n in self.services if n.startswith(prefix)]
        return [path.name.replace("@.", f"@{instance}.")]

    def _stop_together(self, names: list[str]) -> None:
        threads = [threading.Thread(target=self._stop, args=(n,)) for n in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _run_oneshot(self, path: Path, instance: str) -> str | None:
        env = units.environment(path)
        with open(self.log_dir / f"{path.name}.log", "ab") as log:
            done = subprocess.run(
                units.command(path, instance, env),
                env=env,
                cwd=units.working_directory(path),
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=300,
            )
        if done.returncode:
            return f"Job for {path.name} failed (exit {done.returncode}); see {log.name}\n"
        return None

    def _start(self, name: str, path: Path, instance: str) -> None:
        running = self.services.get(name)
        if running is not None and running.poll() is None:
            return
        env = units.environment(path)
        with open(self.log_dir / f"{name}.log", "ab") as log:
            self.services[name] = subprocess.Popen(
                units.command(path, instance, env),
                env=env,
                cwd=units.working_directory(path),
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.actions.append(("start", name))

    def _stop(self, name: str) -> None:
        proc = self.services.pop(name, None)
        if proc is None:
            return
        _kill_mixed(proc)
        with self._actions_lock:
            self.actions.append(("stop", name))

    def _call_packaged(self, verb: str, names: list[str]) -> tuple[int, str, str]:
        for name in names:
            running = self.packaged_running.get(name)
            alive = running is not None and running.poll() is None
            if verb in ("is-active", "status"):
                if not alive:
                    return 3, "inactive\n", ""
                continue
            if verb == "reload":
                if not alive:
                    return 1, "", f"{name} is not active, cannot reload.\n"
                running.send_signal(signal.SIGHUP)
            elif verb in ("stop", "restart"):
                self._stop_packaged(name)
            if verb in ("start", "restart") and not (alive and verb == "start"):
                with open(self.log_dir / f"{name}.log", "ab") as log:
                    proc = subprocess.Popen(
                        self.packaged[name],
                        stdout=log,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,  # its workers go with it (see _stop_packaged)
                    )
                try:  # a daemon that cannot start (a port taken, a bad file) exits at once
                    code = proc.wait(0.5)
                except subprocess.TimeoutExpired:
                    self.packaged_running[name] = proc
                else:
                    return 1, "", f"Job for {name} failed (exit {code}); see {log.name}\n"
        return 0, "", ""

    def _stop_packaged(self, name: str) -> None:
        proc = self.packaged_running.pop(name, None)
        if proc is not None:
            _kill_mixed(proc)

    def log(self, name: str, tail: int = 0) -> str:
        """What a service printed (its last `tail` characters)."""
        path = self.log_dir / f"{name}.log"
        return path.read_text(errors="replace")[-tail:] if path.exists() else ""


def _kill_mixed(proc: subprocess.Popen) -> None:
    """KillMode=mixed: SIGTERM to the main process, then SIGKILL to whatever of its group is left."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()
