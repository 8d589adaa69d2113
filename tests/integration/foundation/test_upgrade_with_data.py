"""`pantau db upgrade` on a database holding rows, from an older revision up to head.

A fresh or already-current database proves only that the migrations create the schema. A
deployed one has submissions, families and tiers in it: each migration must carry them across.
The rows are written with plain SQL against the OLD schema (the models describe only head).
Starting points: 0001 (every migration runs over data) and 0004 (the tables 0002/0003 made
hold rows too, and 0005 drops an index of a full submissions table).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from click.testing import CliRunner
from sqlalchemy.dialects import postgresql

from cli.main import main
from core.domain.access import token_digest
from core.domain.privacy import Keyring
from core.store.db import Base, make_engine
from core.store.migrate import current, head
from tests.conftest import _need, make_settings, pantau_env
from tests.integration.intake.conftest import AUTH
from tests.support.submissions import DESA, IMP, family_answers, meeting_answers
from tests.support.web import cli

ASSET, VERSION, KK = "aKp7Vw3nQx9Lm2Rt6Yb8Zc", "vQ3hT8mXk2Lp9Nr4Ws6Jd", "3277010101200012"
TOKEN = "old-token-Jk4Lm8Np2Qr6St0Uv3Wx7Yz"
T0 = datetime(2026, 10, 14, 8, 31, 7, 250_000, tzinfo=UTC)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
# Each value is bound as the models' column type would bind it, so each backend stores it in
# the form the app itself wrote (SQLite's timestamp text, PostgreSQL's jsonb...).
TYPES = {
    dict: JSON,
    list: JSON,
    datetime: sa.DateTime(timezone=True),
    date: sa.Date(),
    bytes: sa.LargeBinary(),
    bool: sa.Boolean(),
}


@pytest.fixture
def empty_settings(backend, tmp_path):
    """Settings on a database that exists but was never migrated (as on a new server)."""
    if backend == "sqlite":
        yield make_settings(tmp_path, database_url=f"sqlite:///{tmp_path / 'pantau.db'}")
        return
    admin_url, name = _need("PANTAU_TEST_PG_URL"), f"u_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield make_settings(tmp_path, database_url=admin_url.rsplit("/", 1)[0] + "/" + name)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def insert(conn: sa.Connection, table: str, returning: str | None = "id", **values) -> object:
    """INSERT one row with plain SQL (quoted names: `values` and `by` are SQL words)."""
    names = ", ".join(f'"{c}"' for c in values)
    sql = f'INSERT INTO "{table}" ({names}) VALUES ({", ".join(f":{c}" for c in values)})'
    params = [sa.bindparam(c, v, type_=TYPES.get(type(v))) for c, v in values.items()]
    stmt = sa.text(sql + (f' RETURNING "{returning}"' if returning else "")).bindparams(*params)
    result = conn.execute(stmt)
    return result.scalar_one() if returning else None


def kobo_record(answers: dict, record_id: int, **extra: object) -> dict:
    """A submission as Kobo's REST Service posts it (and intake stores it, raw)."""
    uid = str(uuid.UUID(int=record_id))
    ids = {"_id": record_id, "_uuid": uid, "meta/instanceID": f"uuid:{uid}"}
    kobo = {"_xform_id_string": ASSET, "__version__": VERSION, "meta/rootUuid": f"uuid:{uid}"}
    when = {"_submission_time": "2026-10-14T08:31:07", "_submitted_by": "kader_melong"}
    return {**ids, **kobo, **when, **answers, **extra}


# One row per statement, like the SQL it stands for (the formatter would make five lines of one).
# fmt: off
def seed_0001(conn: sa.Connection, family_key: str) -> dict[str, int]:
    """Rows a district had at 0001.

    None in recipients, alerts, deliveries, users or api_tokens: 0002/0003 replace those tables,
    placeholders nothing at 0001 wrote to (their docstrings say so).
    """
    for code, name, level, kind, parent in [
        ("32", "Jawa Barat", 1, "provinsi", None), ("32.77", "Kota Cimahi", 2, "kota", "32"),
        ("32.77.01", "Cimahi Selatan", 3, "kecamatan", "32.77"),
        (DESA, "Melong", 4, "kelurahan", "32.77.01"),
    ]:
        insert(conn, "wilayah", None, code=code, name=name, level=level, kind=kind,
               parent_code=parent)
    imp = insert(conn, "institutions", code=IMP, name="PPKBD Melong", kind="ppkbd",
                 desa_code=DESA, active=True)
    insert(conn, "institutions", code=f"SUB-{IMP}-004", name="Sub-PPKBD RW 004 Melong",
           kind="sub_ppkbd", desa_code=DESA, parent_id=imp, rw="004", active=True)
    fv = insert(conn, "form_versions", form_id="pertemuan_imp", version="2026102001",
                xform_sha256="a" * 64, xlsform_sha256="b" * 64, built_at=T0, built_by="admin",
                contract={"form_id": "pertemuan_imp", "imp": "wilayah/imp"})
    insert(conn, "publications", form_version_id=fv, server="kobo", status="published",
           server_url="https://kf.kobotoolbox.org", server_form_id=ASSET,
           server_version_id=VERSION, published_at=T0, published_by="admin",
           response={"uid": ASSET, "version_id": VERSION, "deployed": True})
    ids = {}
    for name, record_id, answers in [
        ("meeting", 41, meeting_answers()),
        ("survey", 42, {**family_answers(KK), "keluarga/no_kk": family_key}),
    ]:
        instance = str(uuid.UUID(int=record_id))  # stored without the "uuid:" prefix
        ids[name] = insert(conn, "submissions", instance_id=instance, root_id=instance,
            record_id=record_id, server="kobo", source="webhook", asset_uid=ASSET,
            form_id="pertemuan_imp", form_version_id=fv, server_version=VERSION,
            version_known=True, raw=kobo_record(answers, record_id), submitted_at=T0,
            received_at=T0, status="processed", is_latest=True, processed_at=T0,
            process_count=1)
    insert(conn, "facts", submission_id=ids["meeting"], form_id="pertemuan_imp", desa_code=DESA,
           imp_code=IMP, period="2026-10", values={"hadir_perempuan": 9, "topik": "KB – pil"},
           submitted_at=T0, created_at=T0)
    insert(conn, "tier_assessments", imp_code=IMP, period="2026-10", tier="berkembang",
           roles={"pertemuan": "mandiri", "pencatatan": "dasar"}, rules_version="imp-2026.1",
           explanation={"limited_by": ["pencatatan"], "roles": {}}, computed_at=T0)
    ids["family"] = insert(conn, "families", family_key=family_key, desa_code=DESA, rw="004",
                           rt="002", krs=True, first_seen=T0, last_seen=T0)
    child = {"index": 1, "sex": "l", "age_days": 682, "height_cm": 78.0, "haz": -2.41,
             "category": "pendek", "flagged": True}
    insert(conn, "risk_assessments", family_id=ids["family"], submission_id=ids["survey"],
           surveyed_on=date(2026, 10, 20), target=True, krs=True, rules_version="krs-2026.1",
           factors={"air_tidak_layak": True, "jamban_tidak_layak": False},
           details={"children": [child], "target_groups": ["baduta"]}, computed_at=T0)
    insert(conn, "domain_events", kind="family_krs", desa_code=DESA, created_at=T0,
           payload={"family": family_key}, handled_at=T0)
    insert(conn, "dead_letters", received_at=T0, source="webhook", reason="not JSON",
           content_type="text/plain", body=b"\xff\x00 bukan JSON", headers={"X-Kobo": "1"})
    insert(conn, "audit_log", at=T0, actor="admin", action="forms.publish",
           target="pertemuan_imp", detail={"asset": ASSET, "catatan": "Pertemuan – Oktober"})
    insert(conn, "pull_cursors", server="kobo", asset_uid=ASSET, last_record_id=42,
           last_pull_at=T0)
    return ids


def seed_0004(conn: sa.Connection, ids: dict[str, int], fingerprint: str) -> None:
    """Rows of the tables 0002-0004 made: users, a token, the alert outbox, the key check."""
    user = insert(conn, "users", username="admin-cimahi", role="admin", areas=["32.77"],
                  active=True, session_epoch=2, created_at=T0)
    insert(conn, "api_tokens", user_id=user, token_sha256=token_digest(TOKEN), created_at=T0,
           revoked=False)
    insert(conn, "login_failures", username="admin-cimahi", address="10.0.0.7", at=T0)
    rcpt = insert(conn, "recipients", name="TPPS Melong", role="tpps", wilayah_code=DESA,
                  channel="email", address="tpps.melong@example.go.id", language="id",
                  active=True)
    alert = insert(conn, "alerts", finding_key=f"child_stunted:{ids['family']}:1",
                   kind="child_stunted", urgent=True, desa_code=DESA, rw="004", rt="002",
                   family_id=ids["family"], submission_id=ids["survey"], status="open",
                   text_id="Anak pendek di RW 004", text_en="Stunted child in RW 004",
                   payload={"haz": -2.41}, referral="dirujuk", referral_by="bidan desa",
                   referral_at=T0, created_at=T0)
    insert(conn, "alert_status_changes", alert_id=alert, status="dirujuk", by="bidan desa",
           note="ke puskesmas", at=T0)
    digest = insert(conn, "digests", recipient_id=rcpt, week="2026-W42", text_id="Ringkasan",
                    text_en="Digest", payload={"open": 1}, created_at=T0)
    insert(conn, "deliveries", alert_id=alert, recipient_id=rcpt, status="sent", attempts=1,
           next_attempt_at=T0, sent_at=T0)
    insert(conn, "deliveries", digest_id=digest, recipient_id=rcpt, status="queued",
           attempts=0, next_attempt_at=T0)
    insert(conn, "pseudonym_key_check", id=1, fingerprint=fingerprint, set_at=T0)
# fmt: on


def snapshot(engine: sa.Engine, tables: list[str]) -> dict[str, list[dict]]:
    """Every row of tables as the database returns it, in key order."""
    with engine.connect() as conn:
        return {
            t: [
                dict(r) for r in conn.execute(sa.text(f'SELECT * FROM "{t}" ORDER BY 1')).mappings()
            ]
            for t in tables
        }


@pytest.mark.parametrize("start", ["0001", "0004"])
def test_db_upgrade__from_an_older_revision_keeps_every_row_and_the_app_reads_them(
    start, empty_settings
):
    settings = empty_settings
    assert "at revision 0001" in cli(settings, "db", "upgrade", "--revision", "0001").output
    engine = make_engine(settings)
    keyring = Keyring(settings.pseudonym_keys)
    family_key = keyring.pseudonym(KK)
    with engine.begin() as conn:
        ids = seed_0001(conn, family_key)
    if start == "0004":
        cli(settings, "db", "upgrade", "--revision", "0004")
        with engine.begin() as conn:
            seed_0004(conn, ids, keyring.fingerprint)
    assert current(engine) == start
    tables = [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]
    before = snapshot(engine, tables)
    # Guards against comparing empty with empty: the seed really landed.
    assert sum(map(len, before.values())) == {"0001": 18, "0004": 28}[start]

    result = cli(settings, "db", "upgrade")

    assert f"database at revision {head()}" in result.output
    engine.dispose()
    assert current(engine) == head()
    # No row lost and no value changed, in any table that existed with rows.
    assert snapshot(engine, tables) == before
    # The schema is the models' (as test_migrations_match_models checks on a fresh database).
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    indexes = {i["name"] for i in sa.inspect(engine).get_indexes("submissions")}
    assert "ix_submissions_asset_uid" not in indexes and "ix_submissions_server_record" in indexes
    if engine.dialect.name == "postgresql" and _has_lz4(engine):
        # 0006: the scores' big JSON is lz4-compressed (where the server has lz4)
        assert _compression(engine) == {"explanation": "l", "details": "l"}
    if start == "0001":
        # 0004 backfills no key check value: the first store after the upgrade claims it.
        assert snapshot(engine, ["pseudonym_key_check"]) == {"pseudonym_key_check": []}
        cli(settings, "users", "add", "admin-cimahi", "--role", "admin", "--wilayah", "32.77")
        token = cli(settings, "users", "token", "admin-cimahi").stdout.strip()
    else:
        token = TOKEN  # the token stored before the upgrade still signs in
    engine.dispose()
    _app_reads_the_old_rows(settings, token, ids, family_key, alerts=start == "0004")


# Rows in a table of 0001 that 0002 or 0003 drops and re-creates: no command of Pantau wrote
# them, so someone else did (an admin by hand, another tool), and the upgrade must not drop them.
PLACEHOLDER_ROWS = {
    "recipients": {
        "name": "TPPS Kelurahan Melong",
        "role": "tpps",
        "wilayah_code": DESA,
        "channel": "email",
        "address": "tpps.melong@example.go.id",
        "language": "id",
        "active": True,
    },
    "users": {
        "username": "admin-cimahi",
        "role": "admin",
        "wilayah_code": "32.77",
        "created_at": T0,
    },
}


@pytest.mark.parametrize(
    ("start", "table", "refused_by"),
    [
        ("0001", "recipients", "0002"),
        ("0002", "users", "0003"),
        ("0001", "users", "0003"),  # 0002 runs first, and is undone with the rest
    ],
)
def test_db_upgrade__refuses_to_drop_a_replaced_table_that_holds_rows(
    start, table, refused_by, empty_settings
):
    settings = empty_settings
    cli(settings, "db", "upgrade", "--revision", start)
    engine = make_engine(settings)
    with engine.begin() as conn:
        insert(conn, table, **PLACEHOLDER_ROWS[table])
    tables = [t for t in sa.inspect(engine).get_table_names() if t != "alembic_version"]
    before = snapshot(engine, tables)

    result = CliRunner().invoke(main, ["db", "upgrade"], env=pantau_env(settings))

    assert result.exit_code == 2, result.output
    assert f"migration {refused_by} replaces tables Pantau never wrote to" in result.output
    assert f"these hold rows put there some other way: {table} (1 row(s))" in result.output
    assert "Traceback" not in result.output
    engine.dispose()
    # The upgrade is one transaction: not even the migrations before the refusal stayed.
    assert current(engine) == start
    assert sorted(t for t in sa.inspect(engine).get_table_names() if t != "alembic_version") == (
        sorted(tables)
    )
    assert snapshot(engine, tables) == before
    engine.dispose()


def _app_reads_the_old_rows(settings, token, ids, family_key, *, alerts: bool) -> None:
    """The API shows the old rows; the webhook finds the old submission and supersedes it."""
    from service.app import create_app

    app = create_app(settings)
    client, bearer = app.test_client(), {"Authorization": f"Bearer {token}"}
    try:
        imp = client.get(f"/api/v1/imps/{IMP}", headers=bearer)
        assert imp.status_code == 200, imp.get_data(as_text=True)
        assert imp.get_json()["assessment"]["tier"] == "berkembang"
        assert imp.get_json()["assessment"]["limited_by"] == ["pencatatan"]
        family = client.get(f"/api/v1/families/{family_key}", headers=bearer)
        assert family.status_code == 200, family.get_data(as_text=True)
        (survey,) = family.get_json()["history"]
        assert survey["factors"] == ["air_tidak_layak"] and survey["target_groups"] == ["baduta"]
        assert survey["children"][0]["haz"] == -2.41
        kinds = ["child_stunted"] if alerts else []
        assert [a["kind"] for a in family.get_json()["alerts"]] == kinds
        listed = client.get("/api/v1/alerts", headers=bearer).get_json()["items"]
        assert [a["kind"] for a in listed] == kinds
        # Kobo redelivering the stored meeting: found through the old row, stored once.
        meeting = kobo_record(meeting_answers(), 41)
        again = client.post("/webhooks/kobo", json=meeting, headers=AUTH)
        assert again.status_code == 200 and again.get_json()["status"] == "duplicate"
        # An edit of it becomes a new version (a fresh id after the old ones) and current.
        new_id = f"uuid:{uuid.UUID(int=99)}"
        extra = {"_uuid": new_id[5:], "meta/instanceID": new_id}
        edit = kobo_record(meeting_answers(women=11), 41, **extra)
        edit["meta/deprecatedID"] = meeting["meta/instanceID"]
        stored = client.post("/webhooks/kobo", json=edit, headers=AUTH)
        assert stored.status_code == 202, stored.get_data(as_text=True)
        assert stored.get_json()["submission"] > max(ids["meeting"], ids["survey"])
    finally:
        app.extensions["pantau.engine"].dispose()
    engine = make_engine(settings)
    with engine.connect() as conn:
        sql = "SELECT id, is_latest, status FROM submissions WHERE record_id = 41 ORDER BY id"
        rows = [(r.id, bool(r.is_latest), r.status) for r in conn.execute(sa.text(sql))]
    engine.dispose()
    assert rows[0] == (ids["meeting"], False, "superseded") and rows[1][1] is True


def _compression(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text(
                "SELECT attname, attcompression FROM pg_attribute "
                "WHERE attrelid IN ('tier_assessments'::regclass, 'risk_assessments'::regclass) "
                "AND attname IN ('explanation', 'details')"
            )
        )
        return {name: str(method) for name, method in rows}


def _has_lz4(engine: sa.Engine) -> bool:
    # As migration 0006 asks: PostgreSQL 14 and later, built with lz4 (Debian's are).
    with engine.connect() as conn:
        found = conn.execute(
            sa.text(
                "SELECT 1 FROM pg_settings "
                "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
            )
        ).first()
    return found is not None
