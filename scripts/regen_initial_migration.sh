#!/usr/bin/env bash
# Until the first release, the schema lives in one initial migration: regenerate it from models.
set -euo pipefail
cd "$(dirname "$0")/.."
rm -f migrations/versions/0001_initial_schema.py
tmp=$(mktemp -d)
PANTAU_VAR_DIR=$tmp .venv/bin/python - <<'PY'
from alembic import command
from config.settings import load_settings
from core.store.db import make_engine
from core.store.migrate import alembic_config
cfg = alembic_config()
with make_engine(load_settings()).begin() as conn:
    cfg.attributes["connection"] = conn
    command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
PY
sed -i 's/astext_type=Text()/astext_type=sa.Text()/g' migrations/versions/0001_initial_schema.py
rm -rf "$tmp"
