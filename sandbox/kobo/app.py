"""The Flask app of the Kobo sandbox: kpi's v2 API, kobocat's OpenRosa endpoints, admin hooks.

This module is the factory: configuration, the `Sandbox` state, fault injection and error
handlers. Each resource's routes live in their own module (`assets`, `imports`, `files`,
`hooks_api`, `data`, `openrosa`, `admin`), as kpi splits `kpi/views/v2/`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from flask import Flask, Response, request

from sandbox.kobo import admin, assets, data, files, hooks_api, imports, openrosa
from sandbox.kobo.faults import Faults, parse_spec
from sandbox.kobo.hooks import HookDispatcher
from sandbox.kobo.responses import current_sandbox, detail
from sandbox.kobo.store import Store

BLUEPRINTS = (assets.bp, imports.bp, files.bp, hooks_api.bp, data.bp, openrosa.bp, admin.bp)


@dataclass
class SandboxConfig:
    """How a sandbox instance is set up."""

    token: str = "sandbox-token"
    owner: str = "pantau"
    owner_password: str = "pantau"
    users: dict[str, str] = field(default_factory=lambda: {"kader01": "kader01"})
    retry_scale: float = 1.0
    hook_timeout: float = 30.0
    seed: int | None = None
    # Answer `processing` to this many polls of a finished import, so clients must poll.
    import_processing_polls: int = 1


class Sandbox:
    """State and collaborators of one running sandbox."""

    def __init__(self, store: Store, config: SandboxConfig, faults: Faults) -> None:
        self.store = store
        self.config = config
        self.faults = faults
        self.hooks = HookDispatcher(
            store, faults, config.retry_scale, config.hook_timeout, seed=config.seed
        )


def fault_response(rule_status: int, retry_after: int | None) -> Response:
    """The answer an injected fault gives: DRF's throttle 429, or an edge server's HTML page."""
    if rule_status == 429:
        wait = retry_after if retry_after is not None else 1
        return detail(
            429,
            f"Request was throttled. Expected available in {wait} seconds.",
            **{"Retry-After": str(wait)},
        )
    # Edge errors (proxy, gunicorn) are HTML, not DRF JSON.
    reason = {
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }.get(rule_status, "Error")
    resp = Response(
        f"<html><body><h1>{rule_status} {reason}</h1></body></html>",
        status=rule_status,
        content_type="text/html",
    )
    if retry_after is not None:
        resp.headers["Retry-After"] = str(retry_after)
    return resp


def inject_faults() -> Response | None:
    """Before every request: apply the fault rules aimed at this path (`api`, `data`, ...)."""
    path = request.path
    if path.startswith("/__sandbox__"):
        return None
    targets: set[str] = set()
    if path.startswith("/api/v2/"):
        targets.add("api")
        if re.match(r"^/api/v2/assets/[^/]+/data/", path):
            targets.add("data")
    elif path.endswith("/submission"):
        targets.add("submission")
    if not targets:
        return None
    for rule in current_sandbox().faults.take(targets):
        if rule.action == "slow":
            time.sleep(rule.seconds)
        elif rule.status is not None:
            return fault_response(rule.status, rule.retry_after)
    return None


def not_found(_exc: Exception) -> Response:
    """DRF's 404 body for unknown paths."""
    return detail(404, "Not found.")


def not_allowed(_exc: Exception) -> Response:
    """DRF's 405 body."""
    return detail(405, f'Method "{request.method}" not allowed.')


def create_sandbox_app(
    db_path: str | Path = "var/sandbox-kobo.db",
    token: str = "sandbox-token",
    faults: str | list | None = None,
    retry_scale: float = 1.0,
    hook_timeout: float = 30.0,
    owner: str = "pantau",
    users: dict[str, str] | None = None,
    seed: int | None = None,
    import_processing_polls: int = 1,
) -> Flask:
    """Build the sandbox's Flask app; the `Sandbox` is in `app.extensions["kobo_sandbox"]`."""
    config = SandboxConfig(
        token=token,
        owner=owner,
        retry_scale=retry_scale,
        hook_timeout=hook_timeout,
        seed=seed,
        import_processing_polls=import_processing_polls,
    )
    if users is not None:
        config.users = dict(users)
    rules = parse_spec(faults) if isinstance(faults, str) else list(faults or [])
    app = Flask("sandbox.kobo")
    app.json.sort_keys = False  # keep Kobo's key order (XML order, then system fields)
    app.json.ensure_ascii = True
<<<<<<< HEAD
    app.extensions["kobo_sandbox"] = sb
    store = sb.store

    # Auth ---------------------------------------------------------------------------------
    def api_user() -> str | None | Response:
        header = request.headers.get("Authorization", "")
        if not header:
            return None
        kind, _, cred = header.partition(" ")
        if kind.lower() == "token":
            if cred.strip() == config.token:
                return config.owner
            return _detail(401, "Invalid token.")
        if kind.lower() == "basic":
            user = basic_user(cred)
            if user == config.owner:
                return user
            return _detail(401, "Invalid username/password.")
        return _detail(401, "Invalid token header. No credentials provided.")

    def basic_user(cred: str) -> str | None:
        try:
            name, _, pw = base64.b64decode(cred.strip()).decode().partition(":")
        except ValueError:
            return None
        known = {config.owner: config.owner_password, **config.users}
        return name if known.get(name) == pw and name else None

    def need_api(anonymous: str = "404"):
        """Token auth for kpi endpoints: anonymous gets 404 (or 401) as kpi answers."""

        def wrap(fn):
            @wraps(fn)
            def inner(*args: Any, **kwargs: Any):
                user = api_user()
                if isinstance(user, Response):
                    return user
                if user is None:
                    if anonymous == "404":
                        return _detail(404, "Not found.")
                    if anonymous == "empty":
                        return _page([])
                    return _detail(401, "Authentication credentials were not provided.")
                g.user = user
                return fn(*args, **kwargs)

            return inner

        return wrap

    # Faults -------------------------------------------------------------------------------
    @app.before_request
    def inject_faults() -> Response | None:
        path = request.path
        if path.startswith("/__sandbox__"):
            return None
        targets: set[str] = set()
        if path.startswith("/api/v2/"):
            targets.add("api")
            if re.match(r"^/api/v2/assets/[^/]+/data/", path):
                targets.add("data")
        elif path.endswith("/submission"):
            targets.add("submission")
        if not targets:
            return None
        for rule in sb.faults.take(targets):
            if rule.action == "slow":
                time.sleep(rule.seconds)
            elif rule.status is not None:
                return _fault_response(rule.status, rule.retry_after)
        return None

    @app.errorhandler(404)
    def not_found(_exc: Exception) -> Response:
        return _detail(404, "Not found.")

    @app.errorhandler(405)
    def not_allowed(_exc: Exception) -> Response:
        return _detail(405, f'Method "{request.method}" not allowed.')

    # Serializers --------------------------------------------------------------------------
    def asset_url(uid: str) -> str:
        return f"{_base()}/api/v2/assets/{uid}/"

    def deployment_status(asset: dict) -> str:
        if asset.get("deployed_version_id") is None:
            return "draft"
        return "deployed" if asset.get("deployment_active") else "archived"

    def asset_json(asset: dict, full: bool = True) -> dict:
        uid = asset["uid"]
        url = asset_url(uid)
        has_dep = asset.get("deployed_version_id") is not None
        doc = {
            "url": url,
            "owner__username": asset["owner"],
            "date_created": asset["date_created"],
            "date_modified": asset["date_modified"],
            "date_deployed": asset.get("date_deployed"),
            "uid": uid,
            "kind": "asset",
            "name": asset["name"],
            "asset_type": asset["asset_type"],
            "settings": asset.get("settings", {}),
            "version_id": asset["version_id"],
            "has_deployment": has_dep,
            "deployed_version_id": asset.get("deployed_version_id"),
            "deployment__active": bool(asset.get("deployment_active")),
            "deployment__submission_count": store.count_submissions(uid) if has_dep else 0,
            "deployment_status": deployment_status(asset),
            "data": f"{url}data/",
        }
        if not full:
            return doc
        version = store.get("version", asset["version_id"]) or {}
        deployed = [store.get("version", v) or {"uid": v} for v in asset.get("deployed", [])]
        doc.update(
            {
                "version__content_hash": version.get("content_hash"),
                "version_count": len(asset.get("versions", [])),
                "deployed_versions": {
                    "count": len(deployed),
                    "next": None,
                    "previous": None,
                    "results": [
                        {
                            "uid": v["uid"],
                            "url": f"{url}versions/{v['uid']}/",
                            "content_hash": v.get("content_hash"),
                            "date_deployed": v.get("date_deployed"),
                            "date_modified": v.get("date_created"),
                        }
                        for v in reversed(deployed)
                    ],
                },
                "deployment__links": (
                    {"url": f"{_base()}/x/{uid}", "offline_url": f"{_base()}/x/{uid}"}
                    if has_dep
                    else {}
                ),
                "files": [file_json(f) for f in store.children("file", uid)],
                "hooks_link": f"{url}hooks/",
                "xform_link": f"{url}xform/",
                "xls_link": f"{url}xls/",
                "summary": {"row_count": version.get("row_count", 0)},
                "content": version.get("content", {}),
            }
        )
        return doc

    def file_json(f: dict) -> dict:
        url = f"{asset_url(f['asset'])}files/{f['uid']}/"
        return {
            "uid": f["uid"],
            "url": url,
            "asset": asset_url(f["asset"]),
            "user__username": f["user"],
            "file_type": f["file_type"],
            "description": f.get("description", ""),
            "date_created": f["date_created"],
            "content": f"{url}content/",
            "metadata": f["metadata"],
        }

    def hook_json(hook: dict) -> dict:
        url = f"{asset_url(hook['asset'])}hooks/{hook['uid']}/"
        logs = store.children("hook_log", hook["uid"])
        counts = {s: sum(1 for lg in logs if lg["status"] == s) for s in STATUS_STR}
        return {
            "url": url,
            "logs_url": f"{url}logs/",
            "asset": hook["asset_id"],
            "uid": hook["uid"],
            "name": hook["name"],
            "endpoint": hook["endpoint"],
            "active": hook["active"],
            "export_type": hook["export_type"],
            "auth_level": hook["auth_level"],
            "success_count": counts[2],
            "failed_count": counts[0],
            "pending_count": counts[1],
            "settings": hook["settings"],
            "date_modified": hook["date_modified"],
            "email_notification": hook["email_notification"],
            "subset_fields": hook["subset_fields"],
            "payload_template": hook["payload_template"],
        }

    def log_json(hook: dict, log: dict) -> dict:
        url = f"{asset_url(hook['asset'])}hooks/{hook['uid']}/logs/{log['uid']}/"
        keys = (
            "uid",
            "submission_id",
            "tries",
            "status",
            "status_str",
            "status_code",
            "message",
            "date_created",
            "date_modified",
        )
        return {"url": url, **{k: log[k] for k in keys}}

    def get_asset(uid: str) -> dict | None:
        return store.get("asset", uid)

    # Assets -------------------------------------------------------------------------------
    @app.get("/api/v2/assets/")
    @need_api(anonymous="empty")
    def assets_list() -> Response:
        assets = [asset_json(a, full=False) for a in store.children("asset")]
        assets.sort(key=lambda a: a["date_modified"], reverse=True)
        return _page(assets)

    @app.get("/api/v2/assets/<uid>/")
    @need_api()
    def asset_detail(uid: str) -> Response:
        asset = get_asset(uid)
        if asset is None:
            return _detail(404, "Not found.")
        return _json(asset_json(asset))

    # Imports ------------------------------------------------------------------------------
    @app.post("/api/v2/imports/")
    @need_api(anonymous="401")
    def import_create() -> Response:
        upload = request.files.get("file")
        if upload is None:
            return _detail(400, "No file or url provided")
        content = upload.read()
        form = request.form
        library = _truthy(form.get("library", "true"))
        desired = form.get("desired_type", "")
        params = {
            "name": form.get("name") or "",
            "filename": upload.filename or "form.xlsx",
            "survey": desired == "survey" or not library,
            "destination": form.get("destination") or "",
        }
        imp = {
            "uid": new_uid("i"),
            "status": "processing",
            "messages": {},
            "date_created": iso_time(),
            "polls_left": config.import_processing_polls,
            "user": g.user,
        }
        store.put("import", imp["uid"], imp)
        threading.Thread(target=run_import, args=(imp["uid"], content, params), daemon=True).start()
        return _json({"uid": imp["uid"], "status": "processing"}, 201)

    def run_import(imp_uid: str, content: bytes, params: dict) -> None:
        user = (store.get("import", imp_uid) or {}).get("user", config.owner)
        try:
            form = parse_xlsform(content)
            with store.lock:  # the destination asset may be redeployed concurrently
                update = {"status": "complete", "messages": do_import(form, content, params, user)}
        except Exception as exc:
            update = {
                "status": "error",
                "messages": {"error": str(exc), "error_type": type(exc).__name__},
            }
        # Read-modify-write under the lock: a concurrent poll also rewrites this document.
        with store.lock:
            imp = store.get("import", imp_uid) or {}
            imp.update(update)
            store.put("import", imp_uid, imp)

    def do_import(form: dict, content: bytes, params: dict, user: str) -> dict:
        now = iso_time()
        dest = params["destination"]
        if dest:
            m = re.search(r"/assets/([^/]+)/?$", dest.rstrip("/") + "/") or re.match(
                r"^(\w+)$", dest
            )
            asset = get_asset(m.group(1)) if m else None
            if asset is None:
                raise ValueError(f"destination not found: {dest}")
            kind = "updated"
        else:
            asset = {
                "uid": new_uid("a"),
                "owner": user,
                "date_created": now,
                # Without library=false / desired_type=survey kpi makes a library block.
                "asset_type": "survey" if params["survey"] else "block",
                "versions": [],
                "deployed": [],
                "deployed_version_id": None,
                "deployment_active": False,
                "formhub_uuid": new_hex(),
                "pk": len(store.children("asset")) + 1,
            }
            kind = "created"
        title = form.get("title") or Path(params["filename"]).stem
        asset["name"] = params["name"] or (asset.get("name") if dest else None) or title
        # Every import makes a new version, even of identical content, as kpi does.
        version = {
            "uid": new_uid("v"),
            "asset_uid": asset["uid"],
            "date_created": now,
            "content_hash": content_hash(content),
            "form": form,
            "row_count": sum(1 for _ in form.get("children", [])),
            "content": {
                "settings": {"form_title": form.get("title"), "version": form.get("version")}
            },
        }
        store.put("version", version["uid"], version, parent=asset["uid"])
        store.put_blob("xls:" + version["uid"], content)
        asset["versions"].append(version["uid"])
        asset["version_id"] = version["uid"]
        asset["date_modified"] = now
        asset["settings"] = {"description": "", "form_id": form.get("id_string")}
        store.put("asset", asset["uid"], asset)
        summary = {"row_count": version["row_count"], "languages": [], "geo": False}
        return {
            kind: [
                {
                    "uid": asset["uid"],
                    "kind": "asset",
                    "summary": summary,
                    "owner__username": asset["owner"],
                }
            ]
        }

    @app.get("/api/v2/imports/<uid>/")
    @need_api()
    def import_detail(uid: str) -> Response:
        with store.lock:
            imp = store.get("import", uid)
            if imp is None:
                return _detail(404, "Not found.")
            status, messages = imp["status"], imp["messages"]
            if imp.get("polls_left", 0) > 0:
                imp["polls_left"] -= 1
                store.put("import", uid, imp)
                status, messages = "processing", {}
        return _json(
            {
                "url": f"{_base()}/api/v2/imports/{uid}/",
                "status": status,
                "messages": messages,
                "uid": uid,
                "date_created": imp["date_created"],
            }
        )

    # Deployment ---------------------------------------------------------------------------
    def deploy(asset: dict, version_uid: str, active: bool) -> None:
        version = store.get("version", version_uid)
        assert version is not None
        now = utcnow()
        if version_uid not in asset["deployed"]:
            asset["deployed"].append(version_uid)
        label = f"{len(asset['deployed'])} ({now.strftime('%Y-%m-%d %H:%M:%S')})"
        if asset.get("deployed_version_id") != version_uid or "xform" not in version:
            version["xform"] = kobo_xform(
                version["form"], asset["uid"], version_uid, asset["formhub_uuid"], label
            )
            version["date_deployed"] = iso_time(now)
            store.put("version", version_uid, version, parent=asset["uid"])
        asset["deployed_version_id"] = version_uid
        asset["deployment_active"] = active
        asset["date_deployed"] = iso_time(now)
        asset["date_modified"] = iso_time(now)
        store.put("asset", asset["uid"], asset)

    def deployment_json(asset: dict) -> dict:
        return {
            "backend": "openrosa",
            "active": bool(asset.get("deployment_active")),
            "version_id": asset.get("deployed_version_id"),
            "asset": asset_json(asset),
        }

    @app.route("/api/v2/assets/<uid>/deployment/", methods=["GET", "POST", "PATCH"])
    @need_api()
    def deployment(uid: str) -> Response:
        with store.lock:
            asset = get_asset(uid)
            if asset is None:
                return _detail(404, "Not found.")
            body = request.get_json(silent=True) or request.form.to_dict()
            deployed = asset.get("deployed_version_id") is not None
            if request.method == "GET":
                if not deployed:
                    return _detail(404, "Not found.")
                return _json(deployment_json(asset))
            if asset["asset_type"] != "survey":
                return _detail(
                    400, f"Only surveys may be deployed, but this asset is a {asset['asset_type']}"
                )
            if request.method == "POST":
                if deployed:
                    return _detail(405, "Use PATCH to update an existing deployment")
                if not _truthy(body.get("active", False)):
                    return _json({"active": ["This field must be true"]}, 400)
                deploy(asset, asset["version_id"], True)
                return _json(deployment_json(asset))
            if not deployed:
                return _detail(400, "This asset is not deployed")
            version_id = body.get("version_id")
            active = _truthy(body["active"]) if "active" in body else True
            if version_id:
                if version_id != asset["version_id"]:
                    return _json({"version_id": ["Only the current version can be deployed"]}, 400)
                deploy(asset, version_id, active)
            else:
                asset["deployment_active"] = active
                asset["date_modified"] = iso_time()
                store.put("asset", uid, asset)
            return _json(deployment_json(asset))

    # Form media ---------------------------------------------------------------------------
    @app.route("/api/v2/assets/<uid>/files/", methods=["GET", "POST"])
    @need_api()
    def files(uid: str) -> Response:
        if get_asset(uid) is None:
            return _detail(404, "Not found.")
        if request.method == "GET":
            items = store.children("file", uid)
            if request.args.get("file_type"):
                items = [f for f in items if f["file_type"] == request.args["file_type"]]
            return _page([file_json(f) for f in items])
        file_type = request.form.get("file_type")
        errors: dict[str, list[str]] = {}
        if file_type not in ("form_media", "map_layer"):
            errors["file_type"] = [f'"{file_type}" is not a valid choice.']
        upload = request.files.get("content") or request.files.get("file")
        if upload is None:
            errors["content"] = ["No file was submitted."]
        if errors:
            return _json(errors, 400)
        data = upload.read()
        try:
            meta = json.loads(request.form.get("metadata") or "{}")
        except ValueError:
            meta = {}
        filename = meta.get("filename") or upload.filename or "file"
        doc = {
            "uid": new_uid("af"),
            "asset": uid,
            "user": g.user,
            "file_type": file_type,
            "description": request.form.get("description", ""),
            "date_created": iso_time(),
            "metadata": {
                **meta,
                "filename": filename,
                "hash": "md5:" + hashlib.md5(data).hexdigest(),
                "mimetype": upload.mimetype or mimetypes.guess_type(filename)[0] or "",
            },
        }
        store.put("file", doc["uid"], doc, parent=uid)
        store.put_blob("file:" + doc["uid"], data)
        return _json(file_json(doc), 201)

    @app.route("/api/v2/assets/<uid>/files/<fuid>/", methods=["GET", "DELETE"])
    @need_api()
    def file_detail(uid: str, fuid: str) -> Response:
        f = store.get("file", fuid)
        if f is None or f["asset"] != uid:
            return _detail(404, "Not found.")
        if request.method == "DELETE":
            store.delete("file", fuid)
            return Response(status=204)
        return _json(file_json(f))

    @app.get("/api/v2/assets/<uid>/files/<fuid>/content/")
    @need_api()
    def file_content(uid: str, fuid: str) -> Response:
        f = store.get("file", fuid)
        data = store.get_blob("file:" + fuid)
        if f is None or f["asset"] != uid or data is None:
            return _detail(404, "Not found.")
        return Response(data, content_type=f["metadata"].get("mimetype") or "text/csv")

    # Hooks --------------------------------------------------------------------------------
    hook_fields = (
        "name",
        "endpoint",
        "active",
        "export_type",
        "auth_level",
        "settings",
        "email_notification",
        "subset_fields",
        "payload_template",
    )

    def validate_hook(doc: dict, partial: bool) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for required in ("name", "endpoint"):
            if not partial and not doc.get(required):
                errors[required] = ["This field is required."]
        if doc.get("export_type", "json") not in ("json", "xml"):
            errors["export_type"] = [f'"{doc["export_type"]}" is not a valid choice.']
        if doc.get("auth_level", "no_auth") not in ("no_auth", "basic_auth"):
            errors["auth_level"] = [f'"{doc["auth_level"]}" is not a valid choice.']
        endpoint = doc.get("endpoint")
        if endpoint and not re.match(r"^https?://", str(endpoint)):
            errors["endpoint"] = ["Enter a valid URL."]
        if "settings" in doc and not isinstance(doc["settings"], dict):
            errors["settings"] = ["Must be a JSON object."]
        if "subset_fields" in doc and not isinstance(doc["subset_fields"], list):
            errors["subset_fields"] = ['Expected a list of items but got type "str".']
        return errors

    @app.route("/api/v2/assets/<uid>/hooks/", methods=["GET", "POST"])
    @need_api()
    def hooks(uid: str) -> Response:
        asset = get_asset(uid)
        if asset is None:
            return _detail(404, "Not found.")
        if request.method == "GET":
            return _page([hook_json(h) for h in store.children("hook", uid)])
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _detail(400, "JSON parse error")
        errors = validate_hook(body, partial=False)
        if errors:
            return _json(errors, 400)
        hook = {
            "uid": new_uid("h"),
            "asset": uid,
            "asset_id": asset.get("pk", 0),
            "name": body["name"],
            "endpoint": body["endpoint"],
            "active": _truthy(body.get("active", True)),
            "export_type": body.get("export_type", "json"),
            "auth_level": body.get("auth_level", "no_auth"),
            "settings": body.get("settings") or {},
            "email_notification": _truthy(body.get("email_notification", True)),
            "subset_fields": body.get("subset_fields") or [],
            "payload_template": body.get("payload_template") or "",
            "date_modified": iso_time(),
        }
        store.put("hook", hook["uid"], hook, parent=uid)
        return _json(hook_json(hook), 201)

    def get_hook(uid: str, huid: str) -> dict | None:
        hook = store.get("hook", huid)
        return hook if hook is not None and hook["asset"] == uid else None

    @app.route("/api/v2/assets/<uid>/hooks/<huid>/", methods=["GET", "PATCH", "PUT", "DELETE"])
    @need_api()
    def hook_detail(uid: str, huid: str) -> Response:
        hook = get_hook(uid, huid)
        if hook is None:
            return _detail(404, "Not found.")
        if request.method == "DELETE":
            store.delete("hook", huid)
            return Response(status=204)
        if request.method == "GET":
            return _json(hook_json(hook))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return _detail(400, "JSON parse error")
        errors = validate_hook(body, partial=request.method == "PATCH")
        if errors:
            return _json(errors, 400)
        for key in hook_fields:
            if key in body:
                value = body[key]
                hook[key] = _truthy(value) if key in ("active", "email_notification") else value
        hook["date_modified"] = iso_time()
        store.put("hook", huid, hook, parent=uid)
        return _json(hook_json(hook))

    @app.get("/api/v2/assets/<uid>/hooks/<huid>/logs/")
    @need_api()
    def hook_logs(uid: str, huid: str) -> Response:
        hook = get_hook(uid, huid)
        if hook is None:
            return _detail(404, "Not found.")
        logs = store.children("hook_log", huid)
        if request.args.get("status", "") != "":
            try:
                wanted = int(request.args["status"])
            except ValueError:
                return _json({"status": ["Enter a number."]}, 400)
            logs = [lg for lg in logs if lg["status"] == wanted]
        return _page([log_json(hook, lg) for lg in reversed(logs)])

    @app.get("/api/v2/assets/<uid>/hooks/<huid>/logs/<luid>/")
    @need_api()
    def hook_log_detail(uid: str, huid: str, luid: str) -> Response:
        hook = get_hook(uid, huid)
        log = store.get("hook_log", luid)
        if hook is None or log is None or log["hook_uid"] != huid:
            return _detail(404, "Not found.")
        return _json(log_json(hook, log))

    def requeue(log: dict) -> None:
        log.update(
            status=PENDING, status_str=STATUS_STR[PENDING], tries=0, date_modified=iso_time()
        )
        store.put("hook_log", log["uid"], log, parent=log["hook_uid"])
        sb.hooks.enqueue(log["uid"])

    @app.patch("/api/v2/assets/<uid>/hooks/<huid>/retry/")
    @need_api()
    def hook_retry(uid: str, huid: str) -> Response:
        hook = get_hook(uid, huid)
        if hook is None:
            return _detail(404, "Not found.")
        if not hook["active"]:
            return _detail(400, "Can not retry on disabled hooks")
        failed = [lg for lg in store.children("hook_log", huid) if lg["status"] == FAILED]
        for log in failed:
            requeue(log)
        return _json(
            {
                "detail": f"{len(failed)} submissions will be sent again to {hook['endpoint']}",
                "pending_uids": [lg["uid"] for lg in failed],
            }
        )

    @app.patch("/api/v2/assets/<uid>/hooks/<huid>/logs/<luid>/retry/")
    @need_api()
    def hook_log_retry(uid: str, huid: str, luid: str) -> Response:
        hook = get_hook(uid, huid)
        log = store.get("hook_log", luid)
        if hook is None or log is None or log["hook_uid"] != huid:
            return _detail(404, "Not found.")
        if not hook["active"]:
            return _detail(400, "Can not retry on disabled hooks")
        if log["status"] != FAILED:
            return _detail(400, "Can not retry this log")
        requeue(log)
        return _json(log_json(hook, log))

    # Data API -----------------------------------------------------------------------------
    def parse_json_param(name: str, default: Any, kind: type) -> Any:
        raw = request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = json.loads(raw)
        except ValueError as exc:
            raise QueryError(f"Invalid JSON in `{name}`: {exc}") from exc
        if not isinstance(value, kind):
            raise QueryError(f"`{name}` must be a JSON {kind.__name__}")
        return value

    def int_param(name: str, default: int, minimum: int) -> int | Response:
        raw = request.args.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            value = -1
        if value < minimum:
            word = "positive" if minimum > 0 else "non-negative"
            return _json({name: [f"A {word} integer is required"]}, 400)
        return value

    def page_link(start: int, limit: int) -> str:
        parts = urlsplit(request.url)
        params = [
            (k, v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
            if k not in ("start", "limit")
        ]
        params.append(("limit", str(limit)))
        if start > 0:
            params.append(("start", str(start)))
        return urlunsplit(parts._replace(query=urlencode(params)))

    def project(doc: dict, fields: list[str]) -> dict:
        # kpi always adds these; Mongo returns _id unless it is excluded.
        wanted = set(fields) | {"_id", "_uuid", "meta/rootUuid", "_validation_status"}
        return {k: v for k, v in doc.items() if k in wanted}

    @app.get("/api/v2/assets/<uid>/data/")
    @need_api()
    def data_list(uid: str) -> Response:
        asset = get_asset(uid)
        if asset is None:
            return _detail(404, "Not found.")
        fmt = request.args.get("format", "json")
        if fmt not in ("json", "api"):
            return _detail(406, "Could not satisfy the request Accept header.")
        limit = int_param("limit", DEFAULT_LIMIT, 1)
        if isinstance(limit, Response):
            return limit
        start = int_param("start", 0, 0)
        if isinstance(start, Response):
            return start
        limit = min(limit, MAX_LIMIT)  # silently capped, as kpi does
        try:
            query = parse_json_param("query", {}, dict)
            sort = parse_json_param("sort", {"_id": 1}, dict) or {"_id": 1}
            fields = parse_json_param("fields", [], list)
            docs = [d for d in store.submissions(uid) if match(d, query)]
            docs = sort_docs(docs, sort)
        except QueryError as exc:
            return _detail(400, str(exc))
        count = len(docs)
        page = docs[start : start + limit]
        if fields:
            page = [project(d, fields) for d in page]
        nxt = page_link(start + limit, limit) if start + limit < count else None
        prev = page_link(max(start - limit, 0), limit) if start > 0 else None
        return _json({"count": count, "next": nxt, "previous": prev, "results": page})

    @app.route("/api/v2/assets/<uid>/data/<int:sub_id>/", methods=["GET", "DELETE"])
    @need_api()
    def data_detail(uid: str, sub_id: int) -> Response:
        if get_asset(uid) is None:
            return _detail(404, "Not found.")
        with store.lock:
            doc = store.get_submission(sub_id, uid)
            if doc is None:
                return _detail(404, "Not found.")
            if request.method == "DELETE":
                store.delete_submission(sub_id, uid)
                return Response(status=204)
        if request.args.get("format", "json") not in ("json", "api"):
            return _detail(406, "Could not satisfy the request Accept header.")
        return _json(doc)

    @app.get("/api/v2/assets/<uid>/data/<int:sub_id>/attachments/<auid>/")
    @need_api()
    def attachment(uid: str, sub_id: int, auid: str) -> Response:
        doc = store.get_submission(sub_id, uid)
        att = next((a for a in (doc or {}).get("_attachments", []) if a["uid"] == auid), None)
        data = store.get_blob("att:" + auid)
        if att is None or data is None:
            return _detail(404, "Not found.")
        return Response(data, content_type=att["mimetype"])

    # OpenRosa -----------------------------------------------------------------------------
    def openrosa_user() -> str | None:
        header = request.headers.get("Authorization", "")
        kind, _, cred = header.partition(" ")
        if kind.lower() == "token" and cred.strip() == config.token:
            return config.owner
        if kind.lower() == "basic":
            return basic_user(cred)
        return None

    def challenge() -> Response:
        resp = _openrosa(401, "Authentication required")
        nonce = new_hex()
        resp.headers["WWW-Authenticate"] = (
            f'Digest realm="DJANGO", qop="auth", nonce="{nonce}", opaque="{new_hex()}", '
            'algorithm="MD5", stale="FALSE"'
        )
        return resp

    def deployed_assets() -> list[dict]:
        return [
            a
            for a in store.children("asset")
            if a["asset_type"] == "survey" and a.get("deployed_version_id")
        ]

    def find_asset_for(formhub_uuid: str | None, form_id: str | None) -> dict | None:
        assets = deployed_assets()
        # kobocat looks the form up by formhub/uuid first, then by the root's id attribute.
        if formhub_uuid:
            for a in assets:
                if a["formhub_uuid"] == formhub_uuid:
                    return a
        return next((a for a in assets if a["uid"] == form_id), None)

    def build_attachments(
        doc: dict, asset: dict, uuid: str, sub_id: int, uploads: list[tuple[str, str, bytes]]
    ) -> list[dict]:
        out = []
        for filename, mimetype, content in uploads:
            auid = new_uid("att")
            store.put_blob("att:" + auid, content)
            out.append(
                {
                    "download_url": f"{asset_url(asset['uid'])}data/{sub_id}/attachments/{auid}/",
                    "mimetype": mimetype,
                    "filename": f"{asset['owner']}/attachments/{asset['formhub_uuid']}/{uuid}/"
                    f"{filename}",
                    "media_file_basename": filename,
                    "uid": auid,
                    "is_deleted": False,
                    "question_xpath": question_xpath(doc, filename),
                }
            )
        return out

    def finish_doc(
        doc: dict,
        asset: dict,
        uuid: str,
        root_uuid: str,
        sub_time: str,
        user: str | None,
        geopoints: list[str],
    ) -> dict:
        doc["meta/rootUuid"] = root_uuid
        doc["_xform_id_string"] = asset["uid"]
        doc["_uuid"] = uuid
        doc["_id"] = None
        doc["_attachments"] = []
        doc["_status"] = "submitted_via_web"
        doc["_geolocation"] = geolocation(doc, geopoints)
        doc["_submission_time"] = sub_time
        doc["_validation_status"] = {}
        doc["_submitted_by"] = user
        return doc

    def fire_hooks(asset_uid: str, sub_id: int) -> list[str]:
        logs = []
        for hook in store.children("hook", asset_uid):
            if hook["active"]:
                log = new_log(hook["uid"], sub_id)
                store.put("hook_log", log["uid"], log, parent=hook["uid"])
                logs.append(log["uid"])
        return logs

    @app.route("/submission", methods=["HEAD", "GET", "POST"])
    @app.route("/<username>/submission", methods=["HEAD", "GET", "POST"])
    def submission(username: str | None = None) -> Response:
        user = openrosa_user()
        if user is None:
            return challenge()
        if username is not None and username != config.owner:
            return _openrosa(404, f"User {username} does not exist")
        if request.method in ("HEAD", "GET"):
            resp = _openrosa(204, "")
            resp.headers["Location"] = request.url
            return resp
        upload = request.files.get("xml_submission_file")
        if upload is None:
            return _openrosa(400, "No XML submission file.")
        xml = upload.read()
        uploads = [
            (f.filename or name, f.mimetype or "application/octet-stream", f.read())
            for name, f in request.files.items(multi=True)
            if name != "xml_submission_file"
        ]
        try:
            probe = parse_instance(xml, set())
        except InstanceError as exc:
            return _openrosa(400, f"Improperly formatted XML: {exc}")
        asset = find_asset_for(probe.data.get("formhub/uuid"), probe.form_id)
        if asset is None:
            return _openrosa(404, "Form does not exist on this account")
        if not asset.get("deployment_active"):
            return _openrosa(405, "Form is not active")
        versions = set(asset["versions"])
        version_uid = probe.data.get("__version__")
        version = store.get(
            "version", version_uid if version_uid in versions else asset["deployed_version_id"]
        )
        form = structure(version["form"])
        parsed = parse_instance(xml, form.repeats)
        doc = parsed.data
        instance_id = doc.get("meta/instanceID") or f"uuid:{new_hex()}"
        doc.setdefault("meta/instanceID", instance_id)
        uuid = instance_id.removeprefix("uuid:")
        deprecated = doc.get("meta/deprecatedID")
        hook_logs_created: list[str] = []
        with store.transaction():
            current = store.find_current(asset["uid"], uuid)
            if current is not None or store.find_replaced(asset["uid"], uuid) is not None:
                if current is not None and uploads:
                    # A resubmission that adds attachments stores them but is still a 202.
                    have = {a["media_file_basename"] for a in current["_attachments"]}
                    new = [u for u in uploads if u[0] not in have]
                    if new:
                        current["_attachments"] += build_attachments(
                            current, asset, uuid, current["_id"], new
                        )
                        store.update_submission(
                            current["_id"], uuid, current, store.get_submission_xml(current["_id"])
                        )
                return _openrosa(202, "Duplicate Instance")  # kobo.md: the text kpi sends
            if deprecated:
                old_uuid = deprecated.removeprefix("uuid:")
                old = store.find_current(asset["uid"], old_uuid)
                if old is None:
                    if store.find_replaced(asset["uid"], old_uuid) is not None:
                        return _openrosa(
                            410,
                            "The submission you are trying to edit has "
                            "been replaced by a newer version",
                        )
                    return _openrosa(404, "The submission you are trying to edit does not exist")
                finish_doc(
                    doc,
                    asset,
                    uuid,
                    old["meta/rootUuid"],
                    old["_submission_time"],
                    old["_submitted_by"],
                    form.geopoints,
                )
                doc["_id"] = old["_id"]
                kept = {u[0] for u in uploads}
                doc["_attachments"] = [
                    a for a in old["_attachments"] if a["media_file_basename"] not in kept
                ]
                doc["_attachments"] += build_attachments(doc, asset, uuid, old["_id"], uploads)
                store.update_submission(old["_id"], uuid, doc, xml)
                store.mark_replaced(asset["uid"], old_uuid, old["_id"])
                sub_id = old["_id"]
            else:
                finish_doc(
                    doc,
                    asset,
                    uuid,
                    doc.get("meta/rootUuid") or instance_id,
                    submission_time(),
                    user,
                    form.geopoints,
                )
                sub_id = store.insert_submission(asset["uid"], uuid, doc, xml)
                if uploads:
                    doc["_attachments"] = build_attachments(doc, asset, uuid, sub_id, uploads)
                    store.update_submission(sub_id, uuid, doc, xml)
                hook_logs_created = fire_hooks(asset["uid"], sub_id)
        for log_uid in hook_logs_created:
            sb.hooks.enqueue(log_uid)
        meta = (
            '<submissionMetadata xmlns="http://www.opendatakit.org/xforms" '
            f'id="{asset["uid"]}" instanceID="{escape(instance_id)}" '
            f'submissionDate="{doc["_submission_time"]}" isComplete="true" '
            f'markedAsCompleteDate="{doc["_submission_time"]}"/>'
        )
        return _openrosa(201, "Successful submission.", "submit_success", meta)

    @app.get("/formList")
    @app.get("/<username>/formList")
    def form_list(username: str | None = None) -> Response:
        if openrosa_user() is None:
            return challenge()
        items = []
        for a in deployed_assets():
            if not a.get("deployment_active"):
                continue
            xform = store.get("version", a["deployed_version_id"])["xform"]
            md5 = hashlib.md5(xform.encode()).hexdigest()
            items.append(
                f"<xform><formID>{a['uid']}</formID><name>{escape(a['name'])}</name>"
                f"<hash>md5:{md5}</hash>"
                f"<downloadUrl>{_base()}/{a['owner']}/forms/{a['uid']}/form.xml</downloadUrl>"
                "</xform>"
            )
        body = (
            '<xforms xmlns="http://openrosa.org/xforms/xformsList">' + "".join(items) + "</xforms>"
        )
        return Response(body, content_type="text/xml; charset=utf-8", headers=OPENROSA_HEADERS)

    @app.get("/forms/<uid>/form.xml")
    @app.get("/<username>/forms/<uid>/form.xml")
    def form_xml(uid: str, username: str | None = None) -> Response:
        if openrosa_user() is None:
            return challenge()
        asset = get_asset(uid)
        if asset is None or not asset.get("deployed_version_id"):
            return _detail(404, "Not found.")
        xform = store.get("version", asset["deployed_version_id"])["xform"]
        return Response(xform, content_type="text/xml; charset=utf-8", headers=OPENROSA_HEADERS)

    # Sandbox admin ------------------------------------------------------------------------
    @app.post("/__sandbox__/reset")
    def admin_reset() -> Response:
        sb.hooks.clear()
        sb.faults.clear()
        store.reset()
        return _json({"reset": True})

    @app.route("/__sandbox__/faults", methods=["GET", "POST", "DELETE"])
    def admin_faults() -> Response:
        if request.method == "DELETE":
            sb.faults.clear()
        elif request.method == "POST":
            body = request.get_json(silent=True) or {}
            try:
                rules = parse_spec(body.get("spec"))
                rules += [rule_from_json(r) for r in body.get("rules", [])]
            except (FaultSpecError, TypeError) as exc:
                return _detail(400, str(exc))
            sb.faults.add(rules, replace=bool(body.get("replace")))
        return _json({"rules": sb.faults.snapshot()})

    @app.get("/__sandbox__/hooks/deliveries")
    def admin_deliveries() -> Response:
        attempts = store.children("hook_attempt")
        if request.args.get("hook"):
            attempts = [a for a in attempts if a["hook_uid"] == request.args["hook"]]
        return _json(
            {"idle": sb.hooks.idle(), "attempts": attempts, "logs": store.children("hook_log")}
        )

    @app.post("/__sandbox__/assets/<uid>/submissions")
    def admin_bulk(uid: str) -> Response:
        """Seed records without XML (no hooks fire), for paging and query tests."""
        asset = get_asset(uid)
        if asset is None or not asset.get("deployed_version_id"):
            return _detail(404, "Not found.")
        body = request.get_json(silent=True) or {}
        records = list(body.get("records") or [])
        records += [dict(body.get("answers") or {}) for _ in range(int(body.get("count", 0)))]
        version = store.get("version", asset["deployed_version_id"])
        form = structure(version["form"])
        docs = []
        for answers in records:
            sub_time = answers.pop("_submission_time", None) or submission_time()
            uuid = (
                new_hex()[:8]
                + "-"
                + new_hex()[:4]
                + "-4"
                + new_hex()[:3]
                + "-8"
                + new_hex()[:3]
                + "-"
                + new_hex()[:12]
            )
            doc = {
                "formhub/uuid": asset["formhub_uuid"],
                **answers,
                "__version__": asset["deployed_version_id"],
                "meta/instanceID": f"uuid:{uuid}",
            }
            docs.append(
                finish_doc(
                    doc,
                    asset,
                    uuid,
                    f"uuid:{uuid}",
                    sub_time,
                    body.get("submitted_by"),
                    form.geopoints,
                )
            )
        ids = store.insert_many(uid, docs)
        return _json({"ids": ids}, 201)

    @app.get("/__sandbox__/assets/<uid>/xform")
    def admin_xform(uid: str) -> Response:
        asset = get_asset(uid)
        if asset is None or not asset.get("deployed_version_id"):
            return _detail(404, "Not found.")
        xform = store.get("version", asset["deployed_version_id"])["xform"]
        return Response(xform, content_type="text/xml; charset=utf-8")

=======
    app.extensions["kobo_sandbox"] = Sandbox(Store(db_path), config, Faults(rules))
    app.before_request(inject_faults)
    app.register_error_handler(404, not_found)
    app.register_error_handler(405, not_allowed)
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
>>>>>>> sandbox-split
    return app
