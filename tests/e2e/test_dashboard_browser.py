"""The dashboard in a real browser: Debian's chromium driven by Playwright, against gunicorn.

Logs in, opens the overview, an IMP page and the alert inbox (as a TPPS on a phone-sized
screen), changes a referral status, and saves the screenshots the README shows under
build/screenshots/.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT, free_port, pantau_env
from tests.integration.intake.conftest import AUTH
from tests.support.kobo_sandbox import kobo_sandbox  # noqa: F401  (fixture)
from tests.support.processes import Proc, wait_for
from tests.support.web import MELONG, PASSWORD, seed_world

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "build" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1100, "height": 900}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make system-deps)"
)


def _ready(url: str) -> bool:
    try:
        return requests.get(url + "/readyz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture
def served(sqlite_settings, session_factory_sqlite, kobo_sandbox, tmp_path):  # noqa: F811
    """gunicorn serving a seeded district; yields (base URL, world)."""
    port = free_port()
    web = Proc(
        ["serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        pantau_env(sqlite_settings),
        tmp_path / "web.log",
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(lambda: _ready(base), timeout=60, what=f"gunicorn\n{web.output()}")

        def deliver(record: dict) -> int:
            return requests.post(f"{base}/webhooks/kobo", json=record, headers=AUTH).status_code

        world = seed_world(sqlite_settings, kobo_sandbox, session_factory_sqlite, deliver, tmp_path)
        yield base, world
    finally:
        web.stop()


@pytest.fixture
def session_factory_sqlite(sqlite_settings):
    from core.store.db import make_engine, make_session_factory

    engine = make_engine(sqlite_settings)
    yield make_session_factory(engine)
    engine.dispose()


def _login(page, base: str, user: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_browser__login_overview_imp_inbox_and_a_referral(served):
    from playwright.sync_api import sync_playwright

    base, world = served
    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            admin = browser.new_page(viewport=DESKTOP)
            _login(admin, base, "admin-cimahi")
            assert admin.locator("html").get_attribute("lang") == "id"
            assert "Ringkasan" in admin.locator("h1").inner_text()
            assert "Kota Cimahi" in admin.locator("h1").inner_text()
            assert admin.locator("svg.chart").count() == 2
            admin.screenshot(path=str(SHOTS / "overview.png"), full_page=True)

            admin.goto(f"{base}/imps/{world.imps[MELONG]}")
            assert admin.locator("details.role").count() == 6
            admin.screenshot(path=str(SHOTS / "imp.png"), full_page=True)

            phone = browser.new_page(viewport=PHONE, is_mobile=True, has_touch=True)
            _login(phone, base, "tpps-melong")
            phone.goto(f"{base}/alerts")
            cards = phone.locator("li.alert")
            assert cards.count() == len(world.alerts[MELONG])
            phone.screenshot(path=str(SHOTS / "alerts-before.png"), full_page=True)
            first = cards.first
            alert_id = int(first.get_attribute("id").removeprefix("alert-"))
            first.locator("button[value=dirujuk]").click()
            phone.wait_for_load_state()
            card = phone.locator(f"#alert-{alert_id}")
            assert card.locator(".referral-status").inner_text() == "Dirujuk"
            phone.screenshot(path=str(SHOTS / "alerts-after.png"), full_page=True)
        finally:
            browser.close()
    token = {"Authorization": f"Bearer {world.tokens['tpps-melong']}"}
    body = requests.get(f"{base}/api/v1/alerts/{alert_id}", headers=token).json()
    assert body["referral"] == "dirujuk" and body["referral_by"] == "tpps-melong"
    for name in ("overview", "imp", "alerts-before", "alerts-after"):
        assert (SHOTS / f"{name}.png").stat().st_size > 10_000
