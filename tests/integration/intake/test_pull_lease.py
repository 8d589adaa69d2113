"""A pull's lease: a killed holder does not keep every later pull out; a live one is named."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select

from cli.intake import EXIT_BUSY
from cli.main import main
from core.store.models import JobLock, utcnow
from tests.conftest import PANTAU, make_settings, pantau_env
from tests.support.processes import Proc, wait_for
from tests.support.submissions import meeting_answers


def _with_kobo(settings, sandbox):
    return make_settings(
        settings.var_dir.parent,
        database_url=settings.database_url,
        kobo_url=sandbox.base_url,
        kobo_token=sandbox.token,
    )


def _hold(session_factory, asset, pid):
    with session_factory() as s:
        s.add(
            JobLock(
                name=f"pull:kobo:{asset}",
                owner=f"{socket.gethostname()}:{pid}:deadbeef",
                expires_at=utcnow() + timedelta(minutes=10),
            )
        )
        s.commit()


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_pull__lease_of_a_dead_holder_on_this_host_is_taken_over_at_once(
    settings, kobo_sandbox, meeting_form, session_factory
):
    xml, _ = meeting_form.instance(meeting_answers())
    assert kobo_sandbox.submit(xml).status_code == 201
    _hold(session_factory, meeting_form.asset_uid, _dead_pid())
    result = CliRunner().invoke(main, ["pull"], env=pantau_env(_with_kobo(settings, kobo_sandbox)))
    assert result.exit_code == 0, result.output
    assert "pulled 1 new submissions" in result.output


def test_pull__a_live_holder_is_named_with_its_expiry_and_a_non_zero_exit(
    settings, kobo_sandbox, meeting_form, session_factory
):
    _hold(session_factory, meeting_form.asset_uid, os.getpid())  # this test process: alive
    result = CliRunner().invoke(main, ["pull"], env=pantau_env(_with_kobo(settings, kobo_sandbox)))
    assert result.exit_code == EXIT_BUSY
    assert f"held by {socket.gethostname()}:{os.getpid()}:deadbeef until" in result.output
    assert "UTC" in result.output


def test_pull__killed_with_sigkill_does_not_keep_the_next_pull_out(
    settings, kobo_sandbox, meeting_form, session_factory, tmp_path
):
    for _ in range(3):
        xml, _ = meeting_form.instance(meeting_answers())
        assert kobo_sandbox.submit(xml).status_code == 201
    kobo_sandbox.faults("data:slow:seconds=30:count=1")  # the first page hangs
    s = _with_kobo(settings, kobo_sandbox)
    first = Proc(["pull"], pantau_env(s), tmp_path / "pull1.log")
    try:

        def leased():
            with session_factory() as sess:
                return sess.scalar(select(JobLock).where(JobLock.name.like("pull:%")))

        wait_for(leased, timeout=30, what=f"the lease\n{first.output()}")
        first.popen.send_signal(signal.SIGKILL)
        first.popen.wait()
    finally:
        first.stop()
    second = subprocess.run(
        [PANTAU, "pull"],
        env=pantau_env(s),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert second.returncode == 0, second.stdout + second.stderr
    assert "pulled 3 new submissions" in second.stdout
