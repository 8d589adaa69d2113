"""Prometheus metrics of the web process."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class Metrics:
    """The service's metrics, on a registry of their own so several apps can coexist in tests."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "pantau_http_requests_total",
            "HTTP requests by endpoint and status",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "pantau_http_request_seconds",
            "HTTP request latency by endpoint",
            ["endpoint"],
            registry=self.registry,
        )
        self.webhook_auth_failures = Counter(
            "pantau_webhook_auth_failures_total",
            "Webhook deliveries refused for bad or missing credentials",
            registry=self.registry,
        )
        self.webhook_deliveries = Counter(
            "pantau_webhook_deliveries_total",
            "Webhook deliveries by outcome",
            ["outcome"],
            registry=self.registry,
        )
