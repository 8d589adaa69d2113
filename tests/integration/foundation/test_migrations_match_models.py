from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from core.store import models  # noqa: F401  (registers the tables)
from core.store.db import Base, make_engine


def test_migrations__leave_no_difference_from_the_models(settings):
    # A model changed without a migration would pass every other test on a fresh database
    # and fail on a deployed one: compare the migrated schema with the models.
    engine = make_engine(settings)
    with engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata
        )
    engine.dispose()
    assert diff == []
