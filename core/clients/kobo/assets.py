"""Kobo assets: list, get, find a survey by name."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.clients.kobo.models import Asset

if TYPE_CHECKING:
    from core.clients.kobo.client import KoboClient


class AssetService:
    """`/api/v2/assets/`."""

    def __init__(self, client: KoboClient) -> None:
        self.client = client

    def list(self, asset_type: str | None = None) -> list[Asset]:
        """Every asset the token can see (optionally only one `asset_type`)."""
        params = {"q": f"asset_type:{asset_type}"} if asset_type else {}
        assets = [Asset.from_json(a) for a in self.client.iter_list("/api/v2/assets/", **params)]
        # Filter here too: not every server honours `q`.
        return [a for a in assets if asset_type is None or a.asset_type == asset_type]

    def get(self, uid: str) -> Asset:
        """One asset with its version and deployment state."""
        return Asset.from_json(self.client.get_json(f"/api/v2/assets/{uid}/"))

    def find_by_name(self, name: str) -> Asset | None:
        """The survey with this name, if any (names are not unique in Kobo: first match)."""
        for asset in self.list():
            if asset.name == name and asset.asset_type == "survey":
                return asset
        return None
