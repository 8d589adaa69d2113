"""The Flask web service: webhook, admin API, dashboard, health (`service.app.create_app`).

Nothing is imported here: `pantau serve` must set up prometheus-client's multiprocess folder
(service.gunicorn_server) before anything imports the app and its metrics.
"""
