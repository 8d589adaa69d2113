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
from core.store.models import JobLock, Submission, utcnow
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


def test_pull_task__a_form_whose_pull_is_running_is_skipped_quietly(
    settings, kobo_sandbox, meeting_form, session_factory
):
    # The beat's pull meets a long backfill (or an operator's `pantau pull`) on the same
    # form: the running pull does the work. No retries, no failure in the audit log.
    from core.store.models import AuditLog
    from workers.celery_app import make_celery

    xml, _ = meeting_form.instance(meeting_answers())
    assert kobo_sandbox.submit(xml).status_code == 201  # there is something to pull
    _hold(session_factory, meeting_form.asset_uid, os.getpid())  # alive: the lease is busy
    tasks = make_celery(_with_kobo(settings, kobo_sandbox)).tasks
    pulled = tasks["pantau.pull_form"].apply(("kobo", meeting_form.asset_uid))
    assert (pulled.state, pulled.result) == ("SUCCESS", 0)
    with session_factory() as s:  # skipped, not pulled: the running pull stores it
        assert s.scalars(select(Submission)).all() == []
    _hold_sweep = f"sweep:kobo:{meeting_form.asset_uid}"
    with session_factory() as s:
        s.add(
            JobLock(
                name=_hold_sweep,
                owner=f"{socket.gethostname()}:{os.getpid()}:deadbeef",
                expires_at=utcnow() + timedelta(minutes=10),
            )
        )
        s.commit()
    swept = tasks["pantau.sweep_form"].apply((meeting_form.asset_uid,))
    assert (swept.state, swept.result) == ("SUCCESS", 0)
    with session_factory() as s:
        assert s.scalars(select(AuditLog).where(AuditLog.action == "task.failed")).all() == []


def test_beat__every_periodic_run_expires_after_its_own_interval(settings):
    # Runs no worker started (a worker down for a weekend) are dropped, not replayed by the
    # thousand: the next run does their work.
    from workers.celery_app import beat_schedule

    schedule = beat_schedule(settings)
    assert schedule
    for name, entry in schedule.items():
        assert entry["options"]["expires"] == entry["schedule"].total_seconds(), name
