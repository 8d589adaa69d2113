"""Publish a built form to KoboToolbox or ODK Central, refusing versions that break stored data.

Both publishers build and validate first (core.usecases.build), compare the form contract with the
one of the last published version that has stored submissions, then talk to the server step by
step, reporting each step through `progress(step, detail)`. A failed step raises
`PublishError(step, reason)`. Every step can be repeated: a re-run finds what a failed run left
on the server (an asset that already holds our version, a version already deployed) and
finishes the job without making a new server version. The Publication row is added only once
the form is live. Functions here take a Session and never commit (the caller does); on a
PublishError the session holds the build and an audit row, worth committing so that a re-run
publishes the very same version.

Where things are: common.py (the frame of a publish: build, contract check, record, audit),
contract_check.py, records.py (Publication and audit rows, history), errors.py, kobo.py and
central.py (each server's steps).
"""

from core.usecases.publish.central import publish_to_central, xform_id
from core.usecases.publish.common import PublishResult, missing_settings
from core.usecases.publish.contract_check import contract_changes
from core.usecases.publish.errors import ContractBreak, PublishError
from core.usecases.publish.kobo import HOOK_NAME, publish_to_kobo
from core.usecases.publish.records import list_publications

__all__ = [
    "HOOK_NAME",
    "ContractBreak",
    "PublishError",
    "PublishResult",
    "contract_changes",
    "list_publications",
    "missing_settings",
    "publish_to_central",
    "publish_to_kobo",
    "xform_id",
]
