import sqlite3
from datetime import timedelta

from tests.conftest import make_settings
from workers.celery_app import QUEUE_MAINTENANCE, broker_file, make_celery
from workers.maintenance import cleanup_consumed


def _count(path, visible=None):
    with sqlite3.connect(path) as conn:
        sql = "SELECT count(*) FROM kombu_message"
        if visible is not None:
            sql += f" WHERE visible = {int(visible)}"
        return conn.execute(sql).fetchone()[0]


def test_broker_cleanup__deletes_consumed_messages_only(tmp_path):
    settings = make_settings(tmp_path)
    app = make_celery(settings)
    path = broker_file(settings)
    for i in range(5):
        app.send_task("pantau.heartbeat", args=[str(i)], queue=QUEUE_MAINTENANCE)
    # Consume three messages the way a worker does (kombu hides them; it never deletes them).
    with app.connection_for_read() as conn:
        queue = conn.SimpleQueue(QUEUE_MAINTENANCE)
        for _ in range(3):
            queue.get(timeout=5).ack()
        queue.close()
    assert _count(path) == 5 and _count(path, visible=True) == 2

    assert cleanup_consumed(path, older_than=timedelta(hours=1)) == 0  # too recent
    assert cleanup_consumed(path, older_than=timedelta(0)) == 3
    assert _count(path) == 2 and _count(path, visible=True) == 2


def test_broker_cleanup__no_broker_file_yet_is_fine(tmp_path):
    assert cleanup_consumed(tmp_path / "absent.db") == 0
