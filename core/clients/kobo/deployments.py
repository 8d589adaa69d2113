"""Kobo deployments: deploy, redeploy, archive."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.clients.kobo.models import Asset, Deployment

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient


class DeploymentService:
    """`/api/v2/assets/<uid>/deployment/`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def _path(self, asset_uid: str) -> str:
        return f"/api/v2/assets/{asset_uid}/deployment/"

    def get(self, asset_uid: str) -> Deployment:
        """The current deployment (404 before the first deploy)."""
        return Deployment.from_json(asset_uid, self.client.get_json(self._path(asset_uid)))

    def deploy(self, asset_uid: str) -> Deployment:
        """First deploy (POST); Kobo answers 405 if the asset is already deployed."""
        response = self.client.request(
            "POST", self._path(asset_uid), safe=True, json={"active": True}
        )
        return Deployment.from_json(asset_uid, response.json())

    def redeploy(self, asset_uid: str, version_id: str) -> Deployment:
        """Deploy the asset's current version (PATCH with its `version_id`)."""
        response = self.client.request(
            "PATCH", self._path(asset_uid), json={"active": True, "version_id": version_id}
        )
        return Deployment.from_json(asset_uid, response.json())

    def archive(self, asset_uid: str) -> Deployment:
        """Stop accepting submissions (Kobo then answers 405 to them)."""
        response = self.client.request("PATCH", self._path(asset_uid), json={"active": False})
        return Deployment.from_json(asset_uid, response.json())

    def ensure_deployed(self, asset: Asset) -> Deployment | None:
        """Deploy or redeploy so the current version is live; None when it already is."""
        if not asset.is_deployed:
            return self.deploy(asset.uid)
        if asset.version_id and (asset.needs_redeploy or not asset.deployment_active):
            return self.redeploy(asset.uid, asset.version_id)
        return None
