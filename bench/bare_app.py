"""The baseline the webhook is compared with: a minimal Flask app that parses and inserts.

`POST /bare` parses the JSON body and inserts one row (instance id, the JSON, a timestamp) into
`bench_bare` with SQLAlchemy, on the same database and with the same engine settings as Pantau
(`core.store.db.make_engine`). `POST /echo` only parses and answers: the ceiling of Flask under
gunicorn on this box, which also shows whether the load generator keeps up. Served with
`gunicorn 'bench.bare_app:create_bare_app()'`, the database URL in BENCH_DATABASE_URL.
"""

from __future__ import annotations

import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Engine, Integer, MetaData, String, Table, insert

from bench.common import BENCH_KEYS
from config.settings import load_settings
from core.store.db import make_engine
from core.store.models import Json, utcnow

metadata = MetaData()
# The shape of a stored submission reduced to what an insert needs: a unique id and the JSON.
bench_bare = Table(
    "bench_bare",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("instance_id", String(80), unique=True, nullable=False),
    Column("raw", Json, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False),
)


def bare_engine(database_url: str) -> Engine:
    """An engine configured exactly as Pantau's (SQLite pragmas, PostgreSQL pool)."""
    return make_engine(
        load_settings(database_url=database_url, env="test", _env_file=None, **BENCH_KEYS)
    )


def create_bare_app(database_url: str | None = None) -> Flask:
    """The baseline app on database_url (BENCH_DATABASE_URL when None)."""
    engine = bare_engine(database_url or os.environ["BENCH_DATABASE_URL"])
    app = Flask(__name__)
    stmt = insert(bench_bare).returning(bench_bare.c.id)

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    @app.post("/echo")
    def echo():
        raw = request.get_json(force=True)
        return jsonify({"status": "accepted", "fields": len(raw)}), 202

    @app.post("/bare")
    def bare():
        raw = request.get_json(force=True)
        with engine.begin() as conn:
            new_id = conn.execute(
                stmt, {"instance_id": raw["_uuid"], "raw": raw, "received_at": utcnow()}
            ).scalar_one()
        return jsonify({"status": "accepted", "submission": new_id}), 202

    return app
