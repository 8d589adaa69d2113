"""XLSForm handling with pyxform: the structure the flattener needs and Kobo's rewritten XForm."""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field

from pyxform.builder import create_survey_element_from_dict
from pyxform.xls2xform import convert


@dataclass
class FormStructure:
    """What turning an instance into Kobo's flat dict needs to know about the form."""

    repeats: set[str] = field(default_factory=set)
    geopoints: list[str] = field(default_factory=list)
    title: str = ""
    form_id: str = ""


def parse_xlsform(content: bytes) -> dict:
    """Convert XLSForm bytes to pyxform's JSON form; raises pyxform's errors on a bad form."""
    return convert(content)._pyxform


def content_hash(content: bytes) -> str:
    """A sha1 of a version's source, kpi's `version__content_hash` analogue."""
    return hashlib.sha1(content).hexdigest()


def structure(form: dict) -> FormStructure:
    """Repeat paths and top-level geopoints of a pyxform form, in form order."""
    out = FormStructure(title=form.get("title", ""), form_id=form.get("id_string", ""))

    def walk(children: list[dict], prefix: str, in_repeat: bool) -> None:
        for child in children:
            name = child.get("name")
            if not name:
                continue
            path = f"{prefix}{name}"
            kind = child.get("type")
            if kind == "repeat":
                out.repeats.add(path)
                walk(child.get("children", []), path + "/", True)
            elif kind == "group":
                walk(child.get("children", []), path + "/", in_repeat)
            elif kind == "geopoint" and not in_repeat:
                out.geopoints.append(path)

    walk(form.get("children", []), "", False)
    return out


def kobo_xform(
    form: dict, asset_uid: str, version_uid: str, formhub_uuid: str, version_label: str
) -> str:
    """The XForm as Kobo deploys it: root/id = asset uid, Kobo's version, formhub, __version__."""
    data = copy.deepcopy(form)
    data["name"] = asset_uid
    data["id_string"] = asset_uid
    data["version"] = version_label
    children = [
        c for c in data.get("children", []) if c.get("name") not in ("formhub", "__version__")
    ]
    formhub = {
        "type": "group",
        "name": "formhub",
        "children": [
            {"type": "calculate", "name": "uuid", "bind": {"calculate": f"'{formhub_uuid}'"}}
        ],
    }
    version = {
        "type": "calculate",
        "name": "__version__",
        "bind": {"calculate": f"'{version_uid}'"},
    }
    # kobocat puts formhub first; kpi appends __version__ after the questions, before meta.
    meta_at = next((i for i, c in enumerate(children) if c.get("name") == "meta"), len(children))
    children.insert(meta_at, version)
    data["children"] = [formhub, *children]
    return create_survey_element_from_dict(data).to_xml(validate=False, pretty_print=False)
