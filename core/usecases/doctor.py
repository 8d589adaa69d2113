"""`pantau doctor`: is this installation set up to work? One check per thing it depends on.

Each check reads only (a database transaction it opens is rolled back) and says what to fix.
A server that is not configured is reported as such, not as a failure: Kobo and Central are
each optional, though one of them is where submissions come from.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from core.clients.central import CentralClient, CentralError
from core.clients.http import retry_policy
from core.clients.kobo import KoboClient, KoboError, KoboNotFound
from core.clients.probes import probe_broker, probe_url
from core.domain.errors import PantauError
from core.domain.forms.contract import load_contract
from core.domain.forms.lint import form_paths, lint_form
from core.domain.network import is_loopback, unreachable_webhook
from core.domain.privacy import Keyring
from core.domain.rules import Rules
from core.store.db import make_session_factory
from core.store.migrate import check_current, open_migrated, safe_url
from core.store.submissions import published_forms
from core.usecases.keys import check as check_keys

if TYPE_CHECKING:
    from config.settings import Settings

OK, WARN, FAIL, SKIPPED = "ok", "warn", "fail", "not configured"
# A check waits no longer than this for a server: doctor answers in seconds, not minutes.
TIMEOUT = 5.0


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, how it went, and what was found."""

    name: str
    status: str
    detail: str

    def to_dict(self) -> dict[str, str]:
        """JSON-able."""
        return asdict(self)


def run_checks(settings: Settings, keyring: Keyring) -> list[Check]:
    """Every check, in the order an admin fixes things: settings, database, servers, files."""
    db = _Database(settings)
    checks = [
        Check("settings", OK, f"PANTAU_ENV={settings.env}, working directory {Path.cwd()}"),
        db.check(),
        db.keys(keyring),
        _broker(settings),
        _kobo(settings, db),
        _central(settings),
        _public_url(settings),
        _forms(settings),
        _rules(settings),
    ]
    db.close()
    return checks


class _Database:
    """The database, opened once for the checks that need it (None when it cannot be)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.error: str | None = None
        self.engine = None
        try:
            self.engine = open_migrated(settings)
        except PantauError as exc:
            self.error = str(exc)
        except Exception as exc:  # a driver error the store does not know
            self.error = f"{exc.__class__.__name__}: {exc}"

    def check(self) -> Check:
        if self.engine is None:
            return Check("database", FAIL, self.error or "unavailable")
        revision = check_current(self.engine, self.settings)
        return Check("database", OK, f"{safe_url(self.settings)} at revision {revision}")

    def keys(self, keyring: Keyring) -> Check:
        if self.engine is None:
            return Check("keys", SKIPPED, "the database is not usable")
        try:
            self.read(lambda session: check_keys(session, keyring))
        except PantauError as exc:
            return Check("keys", FAIL, str(exc))
        return Check("keys", OK, "the pseudonym keys made the stored family keys")

    def read(self, work: Callable[[Session], object]) -> object:
        """Run work in a transaction that is rolled back (doctor writes nothing)."""
        assert self.engine is not None
        with make_session_factory(self.engine)() as session:
            try:
                return work(session)
            finally:
                session.rollback()

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


def _broker(settings: Settings) -> Check:
    problem = probe_broker(settings.broker_url, TIMEOUT)
    where = settings.broker_url.split("@")[-1]  # no password in the report
    if problem is None:
        return Check("broker", OK, where)
    if problem.startswith("no broker file"):
        return Check("broker", WARN, f"{problem}: the first web or worker start creates it")
    return Check("broker", FAIL, f"{where}: {problem} (check PANTAU_BROKER_URL)")


def _kobo(settings: Settings, db: _Database) -> Check:
    if not settings.kobo_url:
        return Check("kobo", SKIPPED, "PANTAU_KOBO_URL is not set")
    if not settings.kobo_token.get_secret_value():
        return Check("kobo", FAIL, "PANTAU_KOBO_TOKEN is not set")
    retries = retry_policy(0, 0, 0)
    try:
        with KoboClient.from_settings(settings, timeout=TIMEOUT, retries=retries) as client:
            count = client.get_json("/api/v2/assets/", params={"limit": 1}).get("count", 0)
            published = db.read(lambda s: published_forms(s, "kobo")) if db.engine else []
            missing = [f"{form} [{uid}]" for form, uid in published if not _visible(client, uid)]
    except KoboError as exc:
        return Check("kobo", FAIL, str(exc))
    detail = f"{settings.kobo_url}: token accepted, {count} asset(s) visible"
    if missing:
        return Check("kobo", FAIL, f"{detail}; published but not visible: {', '.join(missing)}")
    return Check("kobo", OK, f"{detail}, {len(published)} published form(s) found")


def _visible(client: KoboClient, uid: str) -> bool:
    try:
        client.assets.get(uid)
    except KoboNotFound:
        return False
    return True


def _central(settings: Settings) -> Check:
    if not settings.central_url:
        return Check("central", SKIPPED, "PANTAU_CENTRAL_URL is not set")
    if not settings.central_email or not settings.central_password.get_secret_value():
        return Check("central", FAIL, "PANTAU_CENTRAL_EMAIL and PANTAU_CENTRAL_PASSWORD are needed")
    retries = retry_policy(0, 0, 0)
    try:
        with CentralClient.from_settings(settings, timeout=TIMEOUT, retries=retries) as client:
            client.login()
            forms = client.forms.list()
    except CentralError as exc:
        if exc.status_code == 404:
            return Check(
                "central", FAIL, f"no project {settings.central_project} (PANTAU_CENTRAL_PROJECT)"
            )
        return Check("central", FAIL, str(exc))
    return Check(
        "central",
        OK,
        f"{settings.central_url}: logged in, project {settings.central_project} "
        f"with {len(forms)} form(s)",
    )


def _public_url(settings: Settings) -> Check:
    url = settings.public_url
    if loopback := unreachable_webhook(url, settings.kobo_url):
        return Check("public url", FAIL, loopback)
    problem = probe_url(url + "/healthz", timeout=TIMEOUT)
    if problem is None:
        where = "this machine only" if is_loopback(url) else "reachable from here"
        return Check("public url", OK, f"{url} ({where})")
    # Without Kobo nothing posts to it; alert links still point there.
    status = FAIL if settings.kobo_url else WARN
    return Check(
        "public url", status, f"{problem}: is `pantau serve` running there? (PANTAU_PUBLIC_URL)"
    )


def _forms(settings: Settings) -> Check:
    try:
        paths = form_paths(settings.forms_dir)
        candidate = Path(settings.forms_dir) / "contract.toml"
        contract = load_contract(candidate if candidate.exists() else None)
    except PantauError as exc:
        return Check("forms", FAIL, str(exc))
    bad = [p.name for p in paths if lint_form(p, contract)]
    if bad:
        return Check("forms", FAIL, f"lint problems in {', '.join(bad)} (`pantau forms lint`)")
    return Check("forms", OK, f"{len(paths)} form(s) in {settings.forms_dir}, lint clean")


def _rules(settings: Settings) -> Check:
    try:
        rules = Rules.load(settings.rules_dir)
    except PantauError as exc:
        return Check("rules", FAIL, f"{exc} (PANTAU_RULES_DIR={settings.rules_dir})")
    return Check(
        "rules",
        OK,
        f"{settings.rules_dir}: IMP rubric {rules.imp.version}, KRS {rules.krs.version}",
    )
