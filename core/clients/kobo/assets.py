"""Kobo assets: list, get, find the surveys of one XLSForm (by its form_id)."""

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

    def find_by_form_id(self, form_id: str) -> list[Asset]:
        """Every survey whose XLSForm `form_id` is `form_id`, the most likely one first.

        kpi names an asset after the form's title and lets anyone rename it, but keeps the
        form_id as `content.settings.id_string`, which only the asset detail shows (and `q`
        cannot search): so each survey's detail is read. Best first: deployed, then most
        submissions, then the oldest.
        """
        found = [
            detail
            for asset in self.list("survey")
            if (detail := self.get(asset.uid)).form_id == form_id
        ]
        found.sort(key=lambda a: (a.date_created or "", a.uid))
        found.sort(key=lambda a: (a.is_deployed, a.submission_count), reverse=True)
        return found
