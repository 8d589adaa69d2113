"""OpenRosa instance XML <-> Kobo's flat, string-valued submission dict."""

from __future__ import annotations

import uuid as uuidlib
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field


class InstanceError(ValueError):
    """An instance that is not well-formed XML or has no root id."""


@dataclass
class ParsedInstance:
    """A submitted instance: root tag/attributes and the flattened answers in XML order."""

    root_tag: str
    form_id: str | None
    version: str | None
    data: dict = field(default_factory=dict)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _walk(el: ET.Element, prefix: str, repeats: set[str], out: dict) -> None:
    for child in el:
        if not isinstance(child.tag, str):
            continue
        name = _local(child.tag)
        path = f"{prefix}{name}"
        if any(_local(a) == "template" for a in child.attrib):
            continue  # a jr:template row is the form's blueprint, never an answer
        if path in repeats:
            row: dict = {}
            _walk(child, path + "/", repeats, row)
            # A blank repeat row disappears and later rows shift up, as in kobocat.
            if row:
                out.setdefault(path, []).append(row)
        elif len(child):
            _walk(child, path + "/", repeats, out)
        else:
            text = child.text or ""
            if text != "":
                out[path] = text


def parse_instance(xml: bytes, repeats: set[str]) -> ParsedInstance:
    """Flatten an instance like kobocat: group prefixes, repeats as row lists, blanks absent."""
    try:
        root = ET.fromstring(xml)
    except ET.ParseError as exc:
        raise InstanceError(f"not well-formed XML: {exc}") from exc
    data: dict = {}
    _walk(root, "", repeats, data)
    return ParsedInstance(
        root_tag=_local(root.tag),
        form_id=root.attrib.get("id"),
        version=root.attrib.get("version"),
        data=data,
    )


def geolocation(data: dict, geopoints: list[str]) -> list[float | None]:
    """`_geolocation`: [lat, lon] of the first answered top-level geopoint, else [None, None]."""
    for path in geopoints:
        value = data.get(path)
        if isinstance(value, str):
            parts = value.split()
            try:
                return [float(parts[0]), float(parts[1])]
            except (IndexError, ValueError):
                continue
    return [None, None]


def question_xpath(data: dict, filename: str) -> str | None:
    """The xpath of the answer naming `filename`, with `[n]` repeat indexes (kpi since 2025)."""
    for key, value in data.items():
        if value == filename:
            return key
        if isinstance(value, list):
            for i, row in enumerate(value, start=1):
                found = question_xpath(row, filename)
                if found:
                    # Rows carry full paths; index the repeat segment.
                    return key + f"[{i}]" + found[len(key) :]
    return None


def _xform_info(xform: str) -> tuple[str, str, str | None, str | None, str | None]:
    """Root tag, id, version, formhub uuid and __version__ read from a Kobo-deployed XForm."""
    root = ET.fromstring(xform)
    inst = next(el for el in root.iter() if _local(el.tag) == "instance" and "id" not in el.attrib)
    form_root = next(iter(inst))
    tag = _local(form_root.tag)
    consts: dict[str, str] = {}
    for el in root.iter():
        if _local(el.tag) == "bind" and el.attrib.get("calculate", "").startswith("'"):
            consts[el.attrib["nodeset"]] = el.attrib["calculate"].strip("'")
    return (
        tag,
        form_root.attrib.get("id", tag),
        form_root.attrib.get("version"),
        consts.get(f"/{tag}/formhub/uuid"),
        consts.get(f"/{tag}/__version__"),
    )


def _add(parent: ET.Element, path: list[str], value: object) -> None:
    for part in path[:-1]:
        found = next((c for c in parent if c.tag == part), None)
        parent = found if found is not None else ET.SubElement(parent, part)
    leaf = path[-1]
    if isinstance(value, list):
        for row in value:
            row_el = ET.SubElement(parent, leaf)
            for key, sub in row.items():
                rel = key.split("/")[len(path) :]
                _add(row_el, rel, sub)
    else:
        ET.SubElement(parent, leaf).text = "" if value is None else str(value)


def build_instance_xml(
    xform: str,
    answers: dict,
    instance_id: str | None = None,
    deprecated_id: str | None = None,
) -> tuple[bytes, str]:
    """An OpenRosa instance for a Kobo-deployed XForm from flat answers: (xml, instanceID)."""
    tag, form_id, version, formhub_uuid, version_uid = _xform_info(xform)
    instance_id = instance_id or f"uuid:{uuidlib.uuid4()}"
    root = ET.Element(tag, {"id": form_id, **({"version": version} if version else {})})
    if formhub_uuid:
        ET.SubElement(ET.SubElement(root, "formhub"), "uuid").text = formhub_uuid
    for key, value in answers.items():
        _add(root, key.split("/"), value)
    if version_uid:
        ET.SubElement(root, "__version__").text = version_uid
    meta = next((c for c in root if c.tag == "meta"), None)
    if meta is None:
        meta = ET.SubElement(root, "meta")
    ET.SubElement(meta, "instanceID").text = instance_id
    if deprecated_id:
        ET.SubElement(meta, "deprecatedID").text = deprecated_id
    return ET.tostring(root, encoding="utf-8", xml_declaration=True), instance_id


def rewrite_root_id(xml: bytes, asset_uid: str) -> bytes:
    """Point an instance made from our own XForm at a Kobo asset (root tag and id = asset uid)."""
    root = ET.fromstring(xml)
    root.tag = asset_uid
    root.set("id", asset_uid)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
