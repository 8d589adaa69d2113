"""What waits in a kombu Redis queue: messages, and the submission or delivery ids they carry."""

from __future__ import annotations

import base64
import json

import redis

BATCHED = ("pantau.process_submissions", "pantau.deliver_alerts")


def queued(client: redis.Redis, queue: str) -> int:
    """Messages waiting in a kombu Redis queue (its priority lists included)."""
    return sum(client.llen(key) for key in client.scan_iter(match=f"{queue}*"))


def queued_ids(client: redis.Redis, queue: str) -> list[int]:
    """Ids waiting in a queue: submission ids, which the webhook sends in batches
    (`pantau.process_submissions([ids])`, service/enqueue.py), or delivery ids, which go in
    batches too (`pantau.deliver_alerts([ids])`, workers/alerts.py): messages undercount them."""
    ids: list[int] = []
    for key in client.scan_iter(match=f"{queue}*"):
        for raw in client.lrange(key, 0, -1):
            message = json.loads(raw)
            args = json.loads(base64.b64decode(message["body"]))[0]
            batched = message["headers"]["task"] in BATCHED
            ids += args[0] if batched else [args[0]]
    return ids
