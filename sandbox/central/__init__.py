"""An ODK-Central-compatible stub server for tests and the demo (never imported by production)."""

from sandbox.central.app import CentralStubState, create_central_stub, serve_stub

__all__ = ["CentralStubState", "create_central_stub", "serve_stub"]
