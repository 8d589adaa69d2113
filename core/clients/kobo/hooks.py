"""Kobo REST Services (hooks): register, update, read delivery logs, retry failures."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.clients.kobo.models import Hook, HookLog, HookSpec

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient


class HookService:
    """`/api/v2/assets/<uid>/hooks/`: REST Services that POST submissions to us."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def _path(self, asset_uid: str, hook_uid: str | None = None) -> str:
        base = f"/api/v2/assets/{asset_uid}/hooks/"
        return f"{base}{hook_uid}/" if hook_uid else base

    def list(self, asset_uid: str) -> list[Hook]:
        """Hooks of the asset."""
        return [Hook.from_json(h) for h in self.client.iter_list(self._path(asset_uid))]

    def get(self, asset_uid: str, hook_uid: str) -> Hook:
        """One hook."""
        return Hook.from_json(self.client.get_json(self._path(asset_uid, hook_uid)))

    def create(self, asset_uid: str, spec: HookSpec) -> Hook:
        """Register a hook (POST is not retried: a repeat would register two)."""
        response = self.client.request("POST", self._path(asset_uid), json=spec.to_json())
        return Hook.from_json(response.json())

    def update(self, asset_uid: str, hook_uid: str, spec: HookSpec) -> Hook:
        """Replace the hook's fields with `spec` (PATCH)."""
        response = self.client.request(
            "PATCH", self._path(asset_uid, hook_uid), json=spec.to_json()
        )
        return Hook.from_json(response.json())

    def delete(self, asset_uid: str, hook_uid: str) -> None:
        """Remove a hook."""
        self.client.request("DELETE", self._path(asset_uid, hook_uid))

    def ensure(self, asset_uid: str, spec: HookSpec) -> tuple[Hook, str]:
        """Create or update the hook named `spec.name`; say created, updated or unchanged."""
        for hook in self.list(asset_uid):
            if hook.name == spec.name:
                if hook.matches(spec):
                    return hook, "unchanged"
                return self.update(asset_uid, hook.uid, spec), "updated"
        return self.create(asset_uid, spec), "created"

    def logs(self, asset_uid: str, hook_uid: str, status: int | None = None) -> list[HookLog]:
        """Delivery logs (status 0 failed, 1 pending, 2 success)."""
        params = {"status": status} if status is not None else {}
        items = self.client.iter_list(f"{self._path(asset_uid, hook_uid)}logs/", **params)
        return [HookLog.from_json(lg) for lg in items]

    def retry(self, asset_uid: str, hook_uid: str) -> list[str]:
        """Re-send every failed delivery; return the uids of the logs queued again."""
        response = self.client.request("PATCH", f"{self._path(asset_uid, hook_uid)}retry/")
        if response.status_code == 304:
            return []  # kpi: nothing to retry, said with an empty 304
        return list(response.json().get("pending_uids") or [])
