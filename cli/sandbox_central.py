"""`pantau sandbox central`: serve the ODK-Central-compatible stub (tests and the demo)."""

from __future__ import annotations

import click


def register_into(group: click.Group) -> None:
    """Add the `central` command to the `sandbox` group (called by cli/sandbox.py)."""
    group.add_command(central)


@click.command("central")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8383, show_default=True, type=int, help="Port to listen on.")
@click.option("--email", default="admin@example.org", show_default=True, help="Login email.")
@click.option("--password", default="secret", show_default=True, help="Login password.")
@click.option("--project", "projects", multiple=True, type=int, default=(1,), show_default=True)
def central(host: str, port: int, email: str, password: str, projects: tuple[int, ...]) -> None:
    """Serve an in-memory ODK Central stub (sessions, forms, drafts, OData Submissions)."""
    from sandbox.central import create_central_stub, serve_stub

    app = create_central_stub({email: password}, projects=tuple(projects))
    server = serve_stub(app, host, port)
    click.echo(f"ODK Central stub on http://{host}:{server.server_port} (login {email})")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
