"""A small district for the web tests, seeded through public paths only.

IMPs through `pantau imps import`, surveys and meeting reports submitted to the Kobo sandbox
like a phone and delivered to our webhook like Kobo, scoring through `pantau score`, users and
tokens through `pantau users`. Three kelurahan of Kota Cimahi: Melong and Cibeureum (Kecamatan
Cimahi Selatan) and one in Cimahi Tengah (Baros).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from click.testing import CliRunner
from sqlalchemy import select

from cli.main import main
from core.store.models import Alert, Family
from tests.conftest import pantau_env
from tests.integration.intake.conftest import submit_and_read
from tests.support.submissions import family_answers, meeting_answers, publish_in_sandbox

MELONG, CIBEUREUM, BAROS = "32.77.01.1001", "32.77.01.1002", "32.77.02.1001"
KECAMATAN = "32.77.01"
IMPS = (
    "code,name,kind,desa,rw,rt,parent\n"
    f"PPKBD-{MELONG},Pos KB Melong,ppkbd,{MELONG},,,\n"
    f"SUB-{MELONG}-004,Sub Pos KB Mawar,sub_ppkbd,{MELONG},004,,PPKBD-{MELONG}\n"
    f"PPKBD-{CIBEUREUM},Pos KB Cibeureum,ppkbd,{CIBEUREUM},,,\n"
    f"PPKBD-{BAROS},Pos KB Baros,ppkbd,{BAROS},,,\n"
)
# (desa, KK number, child's length in cm): 78 cm at 682 days is stunted, 86 cm is not.
FAMILIES = (
    (MELONG, "3277010101200012", 78.0),
    (MELONG, "3277010101200013", 86.0),
    (CIBEUREUM, "3277010101200014", 78.0),
    (BAROS, "3277010101200015", 78.0),
)
USERS = {
    "admin-cimahi": ("admin", ["32.77"]),
    "tpps-melong": ("tpps", [MELONG]),
    "tpps-cibeureum": ("tpps", [CIBEUREUM]),
    "pkb-melong": ("supervisor", [MELONG]),
}
PASSWORD = "kata-sandi-rahasia-1"


@dataclass
class World:
    """What the seed made: tokens by user, family keys, alert ids and IMP codes by desa."""

    tokens: dict[str, str] = field(default_factory=dict)
    families: dict[str, list[str]] = field(default_factory=dict)
    alerts: dict[str, list[int]] = field(default_factory=dict)
    imps: dict[str, str] = field(default_factory=dict)


def cli(settings, *args: str, input: str | None = None):
    """Run `pantau …` in-process with settings' environment; fail the test on a bad exit."""
    result = CliRunner().invoke(main, list(args), env=pantau_env(settings), input=input)
    assert result.exit_code == 0, result.output
    return result


def survey(desa: str, no_kk: str, height: float) -> dict:
    """A keluarga_risiko survey of one family of desa."""
    answers = family_answers(no_kk, survey=date(2026, 10, 20), haz_child_cm=height)
    answers["wilayah/desa"] = desa
    answers["wilayah/kecamatan"] = desa.rsplit(".", 1)[0]
    return answers


def seed_world(
    settings, sandbox, session_factory, deliver: Callable[[dict], int], tmp: Path
) -> World:
    """Seed the district; `deliver(record)` posts a Kobo record to our webhook (its status)."""
    imps = tmp / "imps.csv"
    imps.write_text(IMPS, encoding="utf-8")
    cli(settings, "imps", "import", str(imps))
    with session_factory() as s:
        family_form = publish_in_sandbox(sandbox, s, "keluarga_risiko")
        meeting_form = publish_in_sandbox(sandbox, s, "pertemuan_imp")
    for desa, kk, height in FAMILIES:
        assert deliver(submit_and_read(sandbox, family_form, survey(desa, kk, height))) == 202
    for desa in (MELONG, CIBEUREUM):
        rec = submit_and_read(sandbox, meeting_form, meeting_answers(f"PPKBD-{desa}"))
        assert deliver(rec) == 202
    cli(settings, "score", "families", "--json")
    cli(settings, "score", "imp", "--json")
    world = World()
    for name, (role, areas) in USERS.items():
        cli(settings, "users", "add", name, "--role", role, *[f"--wilayah={a}" for a in areas])
        world.tokens[name] = cli(settings, "users", "token", name).stdout.strip()
        cli(settings, "users", "password", name, "--stdin", input=PASSWORD + "\n")
    with session_factory() as s:
        for f in s.scalars(select(Family).order_by(Family.family_key)):
            world.families.setdefault(f.desa_code, []).append(f.family_key)
        for a in s.scalars(select(Alert).where(Alert.family_id.is_not(None)).order_by(Alert.id)):
            world.alerts.setdefault(a.desa_code, []).append(a.id)
    world.imps = {d: f"PPKBD-{d}" for d in (MELONG, CIBEUREUM, BAROS)}
    return world
