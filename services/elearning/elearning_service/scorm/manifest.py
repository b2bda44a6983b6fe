"""Parse and check a SCORM 1.2 / 2004 imsmanifest.xml (defusedxml only, no DTDs)."""

from __future__ import annotations

import io
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse

from .sequencing_manifest import collection, read_sequencing

ScormFamily = Literal["scorm12", "scorm2004"]
ScormType = Literal["sco", "asset"]

XML_NS = "{http://www.w3.org/XML/1998/namespace}"
# A manifest bigger than this is not a course outline any more; refuse before parsing.
MAX_MANIFEST_BYTES = 10 * 1024 * 1024

# Namespace URIs that identify the edition when <schemaversion> is absent.
_NS_12 = ("adlcp_rootv1p2", "imscp_rootv1p1p2")
_NS_2004 = ("adlcp_v1p3", "adlseq_v1p3", "adlnav_v1p3", "imsglobal.org/xsd/imsss", "imscp_v1p1")


class ManifestError(ValueError):
    """The manifest is unusable; `detail` says why in words a trainer understands."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


@dataclass(frozen=True)
class ScormVersion:
    """Which SCORM the manifest is written for; edition is '2nd'/'3rd'/'4th' for 2004."""

    family: ScormFamily
    edition: str | None = None


@dataclass
class Item:
    """One <item> of an organization, with its children in document order."""

    identifier: str
    title: str
    identifierref: str | None = None
    parameters: str = ""
    isvisible: bool = True
    mastery_score: float | None = None  # 1.2 adlcp:masteryscore (0..100)
    scaled_passing_score: float | None = None  # 2004 primaryObjective minNormalizedMeasure
    completion_threshold: float | None = None  # 2004 adlcp:completionThreshold
    launch_data: str | None = None  # adlcp:datafromlms / adlcp:dataFromLMS
    children: list[Item] = field(default_factory=list)
    sequencing: dict[str, Any] = field(default_factory=dict)  # 2004 imsss:sequencing


@dataclass
class Organization:
    """One <organization>: a title and a tree of items."""

    identifier: str
    title: str
    items: list[Item] = field(default_factory=list)
    sequencing: dict[str, Any] = field(default_factory=dict)


@dataclass
class Resource:
    """One <resource>; `href` already carries every xml:base above it."""

    identifier: str
    type: str
    scorm_type: ScormType | None
    href: str | None
    files: list[str] = field(default_factory=list)
    dependencies: list[str] = field(default_factory=list)


@dataclass
class Manifest:
    """A parsed, structurally checked manifest."""

    identifier: str
    version: ScormVersion
    title: str
    default_organization: str
    organizations: list[Organization]
    resources: dict[str, Resource]
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Sco:
    """A launchable item: what the player opens and whether it gets the runtime API."""

    identifier: str
    title: str
    href: str
    scorm_type: ScormType
    resource_identifier: str
    visible: bool = True
    mastery_score: float | None = None
    scaled_passing_score: float | None = None
    completion_threshold: float | None = None
    launch_data: str | None = None


# ---------------------------------------------------------------- XML helpers


def _local(name: str) -> str:
    """The local part of a Clark-notation name ('{ns}item' -> 'item')."""
    return name.rsplit("}", 1)[-1]


def _children(el: Element, name: str) -> list[Element]:
    """Direct children with this local name, whatever their namespace."""
    return [c for c in el if isinstance(c.tag, str) and _local(c.tag) == name]


def _child(el: Element, name: str) -> Element | None:
    """The first direct child with this local name, or None."""
    found = _children(el, name)
    return found[0] if found else None


def _text(el: Element | None) -> str:
    """Stripped text of an element ('' when absent)."""
    return (el.text or "").strip() if el is not None else ""


def _attr(el: Element, name: str) -> str | None:
    """An attribute by local name, case-insensitively, whatever its namespace.

    Exporters write both adlcp:scormtype (1.2) and adlcp:scormType (2004), and some bind
    the adlcp prefix to the wrong edition's namespace; the meaning is the same.
    """
    wanted = name.lower()
    for key, value in el.attrib.items():
        if _local(key).lower() == wanted and not key.startswith(XML_NS):
            return value
    return None


def _id_attr(el: Element, name: str) -> str | None:
    """An identifier attribute: an XML ID, so surrounding whitespace is not part of it."""
    value = _attr(el, name)
    if value is None:
        return None
    return value.strip() or None


def _float_or_none(text: str) -> float | None:
    """A decimal from manifest text, or None when empty or not a number."""
    try:
        return float(text) if text else None
    except ValueError:
        return None


def parse_xml(data: bytes, what: str = "imsmanifest.xml") -> tuple[Element, set[str]]:
    """Parse XML with DTDs, entities and external references forbidden.

    Returns the root element and every namespace URI declared in the document (declared
    but unused namespaces still tell which SCORM edition an exporter had in mind).
    """
    if len(data) > MAX_MANIFEST_BYTES:
        raise ManifestError(f"{what} is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MiB")
    namespaces: set[str] = set()
    root: Element | None = None
    try:
        for event, obj in iterparse(
            io.BytesIO(data),
            events=("start", "start-ns"),
            forbid_dtd=True,
            forbid_entities=True,
            forbid_external=True,
        ):
            if event == "start-ns":
                namespaces.add(obj[1])
            elif root is None:
                root = obj
    except DefusedXmlException as exc:
        # A DTD is where entity bombs (billion laughs) and XXE live; refusing it at the
        # DOCTYPE means nothing is ever expanded or fetched.
        raise ManifestError(
            f"{what} declares a DTD or entities ({type(exc).__name__}); "
            "these are refused for security reasons"
        ) from exc
    except ParseError as exc:
        raise ManifestError(f"{what} is not well-formed XML: {exc}") from exc
    if root is None:
        raise ManifestError(f"{what} is empty")
    return root, namespaces


# ---------------------------------------------------------------- version


def detect_version(root: Element, namespaces: Iterable[str]) -> ScormVersion:
    """SCORM family and edition from <schemaversion>, else from namespaces."""
    metadata = _child(root, "metadata")
    schemaversion = _text(_child(metadata, "schemaversion")) if metadata is not None else ""
    sv = schemaversion.lower()
    if sv == "cam 1.3":
        return ScormVersion("scorm2004", "2nd")
    if "2004" in sv:
        match = re.search(r"(\d)(?:st|nd|rd|th)\s+edition", sv)
        digit = match.group(1) if match else None
        return ScormVersion("scorm2004", f"{digit}{_ordinal(digit)}" if digit else None)
    if sv.startswith("1.2"):
        return ScormVersion("scorm12")
    # No usable <schemaversion>: fall back to the namespaces the exporter declared.
    uris = set(namespaces)
    if root.tag.startswith("{"):
        uris.add(root.tag[1:].split("}", 1)[0])
    if any(marker in uri for uri in uris for marker in _NS_2004):
        return ScormVersion("scorm2004")
    if any(marker in uri for uri in uris for marker in _NS_12):
        return ScormVersion("scorm12")
    raise ManifestError(
        "imsmanifest.xml does not say which SCORM version it is "
        "(no <schemaversion> and no SCORM namespaces)"
    )


def _ordinal(digit: str) -> str:
    """English ordinal suffix for an edition digit."""
    return {"1": "st", "2": "nd", "3": "rd"}.get(digit, "th")


# ---------------------------------------------------------------- parsing


def _join_base(base: str, href: str) -> str:
    """Resolve href against an xml:base, treating the base as a folder.

    Exporters often write xml:base="resources" without the trailing slash that RFC 3986
    would need to make it a folder; every SCORM player reads it as one.
    """
    if not base:
        return href
    if not base.endswith("/"):
        base += "/"
    return base + href


def _parse_item(el: Element, family: ScormFamily, shared: dict[str, Element] | None = None) -> Item:
    """One <item> and its descendants."""
    identifier = _id_attr(el, "identifier")
    if not identifier:
        raise ManifestError("an <item> has no identifier")
    item = Item(
        identifier=identifier,
        title=_text(_child(el, "title")),
        identifierref=_id_attr(el, "identifierref"),
        parameters=_attr(el, "parameters") or "",
        isvisible=(_attr(el, "isvisible") or "true").strip().lower() != "false",
        # 1.2 spells it datafromlms, 2004 dataFromLMS; _child matches local names exactly.
        launch_data=(_text(_child(el, "datafromlms")) or _text(_child(el, "dataFromLMS"))) or None,
    )
    if family == "scorm12":
        item.mastery_score = _float_or_none(_text(_child(el, "masteryscore")))
    else:
        item.scaled_passing_score = _scaled_passing_score(el)
        item.completion_threshold = _completion_threshold(el)
        item.sequencing = {**read_sequencing(el, shared or {}), **_completion_by_measure(el)}
    item.children = [_parse_item(c, family, shared) for c in _children(el, "item")]
    return item


def _scaled_passing_score(item: Element) -> float | None:
    """minNormalizedMeasure of a primary objective that is satisfied by measure."""
    sequencing = _child(item, "sequencing")
    objectives = _child(sequencing, "objectives") if sequencing is not None else None
    primary = _child(objectives, "primaryObjective") if objectives is not None else None
    if primary is None:
        return None
    if (_attr(primary, "satisfiedByMeasure") or "false").lower() != "true":
        return None
    # The schema default for minNormalizedMeasure is 1.0 when the element is absent.
    measure = _child(primary, "minNormalizedMeasure")
    return 1.0 if measure is None else _float_or_none(_text(measure))


def _completion_threshold(item: Element) -> float | None:
    """adlcp:completionThreshold: text (3rd ed.) or minProgressMeasure attribute (4th)."""
    el = _child(item, "completionThreshold")
    if el is None:
        return None
    if _attr(el, "completedByMeasure") is not None:
        if (_attr(el, "completedByMeasure") or "").lower() != "true":
            return None
        return _float_or_none(_attr(el, "minProgressMeasure") or "1.0")
    return _float_or_none(_text(el))


def _completion_by_measure(item: Element) -> dict[str, Any]:
    """4th ed. adlcp:completionThreshold attributes as the sequencing engine takes them."""
    el = _child(item, "completionThreshold")
    if el is None:
        return {}
    out: dict[str, Any] = {}
    by_measure = (_attr(el, "completedByMeasure") or "").strip().lower()
    if by_measure in ("true", "1"):
        out["completed_by_measure"] = True
        minimum = _float_or_none((_attr(el, "minProgressMeasure") or "").strip())
        out["min_progress_measure"] = 1.0 if minimum is None else minimum
    weight = _float_or_none((_attr(el, "progressWeight") or "").strip())
    if weight is not None:
        out["progress_weight"] = weight
    return out


def _parse_resources(root: Element, family: ScormFamily) -> dict[str, Resource]:
    """Every <resource>, keyed by identifier, with xml:base folded into href."""
    manifest_base = root.get(XML_NS + "base", "")
    resources_el = _child(root, "resources")
    if resources_el is None:
        raise ManifestError("imsmanifest.xml has no <resources> element")
    resources_base = _join_base(manifest_base, resources_el.get(XML_NS + "base", ""))
    out: dict[str, Resource] = {}
    for el in _children(resources_el, "resource"):
        identifier = _id_attr(el, "identifier")
        if not identifier:
            raise ManifestError("a <resource> has no identifier")
        base = _join_base(resources_base, el.get(XML_NS + "base", ""))
        href = _attr(el, "href")
        raw_type = (_attr(el, "scormtype") or "").strip().lower()
        out[identifier] = Resource(
            identifier=identifier,
            type=_attr(el, "type") or "",
            scorm_type=raw_type if raw_type in ("sco", "asset") else None,  # type: ignore[arg-type]
            href=_join_base(base, href) if href else None,
            files=[_join_base(base, f.get("href", "")) for f in _children(el, "file")],
            dependencies=[
                (d.get("identifierref") or "").strip() for d in _children(el, "dependency")
            ],
        )
    return out


def _lom_title(lom: Element) -> str:
    """The first non-empty title string of a LOM record (1.2 langstring or 2004 string)."""
    general = _child(lom, "general")
    title = _child(general, "title") if general is not None else None
    if title is None:
        return ""
    for el in title.iter():
        if isinstance(el.tag, str) and _local(el.tag) in ("langstring", "string") and _text(el):
            return _text(el)
    return ""


def _metadata_title(
    root: Element, read_file: Callable[[str], bytes | None] | None, warnings: list[str]
) -> str:
    """Course title from the manifest's metadata: inline LOM or an adlcp:location file."""
    metadata = _child(root, "metadata")
    if metadata is None:
        return ""
    lom = _child(metadata, "lom")
    if lom is not None and _lom_title(lom):
        return _lom_title(lom)
    location = _text(_child(metadata, "location"))
    if not location or read_file is None:
        return ""
    data = read_file(location)
    if data is None:
        warnings.append(f"metadata file {location} is referenced but not in the package")
        return ""
    try:
        meta_root, _ = parse_xml(data, location)
    except ManifestError as exc:
        # The title is a nicety: a broken metadata file must not sink a working course.
        warnings.append(exc.detail)
        return ""
    return _lom_title(meta_root) if _local(meta_root.tag) == "lom" else ""


def _pick_default(organizations_el: Element, orgs: list[Organization], warnings: list[str]) -> str:
    """The default organization's identifier, checked against the organizations present."""
    ids = [o.identifier for o in orgs]
    default = (_attr(organizations_el, "default") or "").strip()
    if not default:
        return ids[0]
    if default in ids:
        return default
    # Tolerance for one known exporter bug (Moodle's complexscorm.zip): every organization
    # and item identifier got a prefix ("mm-") but the default attribute did not.
    suffixed = [i for i in ids if i.endswith(default)]
    if len(suffixed) == 1:
        warnings.append(f"default organization {default!r} taken to mean {suffixed[0]!r}")
        return suffixed[0]
    raise ManifestError(
        f"the default organization {default!r} named in <organizations> does not exist"
    )


def parse_manifest(data: bytes, read_file: Callable[[str], bytes | None] | None = None) -> Manifest:
    """Parse imsmanifest.xml bytes and check its structure (not which files exist).

    `read_file(relpath)` may return the bytes of another file in the package (used only
    for metadata in adlcp:location files), or None when it is absent.
    """
    root, namespaces = parse_xml(data)
    if _local(root.tag) != "manifest":
        raise ManifestError(f"imsmanifest.xml has <{_local(root.tag)}> as root, not <manifest>")
    version = detect_version(root, namespaces)
    warnings: list[str] = []

    organizations_el = _child(root, "organizations")
    if organizations_el is None or not _children(organizations_el, "organization"):
        raise ManifestError("imsmanifest.xml has no <organization>, so there is nothing to launch")
    orgs: list[Organization] = []
    shared = collection(root) if version.family == "scorm2004" else {}
    for el in _children(organizations_el, "organization"):
        identifier = _id_attr(el, "identifier")
        if not identifier:
            raise ManifestError("an <organization> has no identifier attribute")
        title = _text(_child(el, "title"))
        if not title:
            # Both SCORM CAM books require exactly one <title> per organization.
            raise ManifestError(f"organization {identifier!r} has no <title>")
        items = [_parse_item(c, version.family, shared) for c in _children(el, "item")]
        org_seq = read_sequencing(el, shared) if version.family == "scorm2004" else {}
        if version.family == "scorm2004":
            # SN 4th ed.: true unless the organization says otherwise.
            shared_globals = (_attr(el, "objectivesGlobalToSystem") or "true").strip().lower()
            org_seq["objectives_global_to_system"] = shared_globals not in ("false", "0")
        orgs.append(Organization(identifier, title, items, org_seq))
    default = _pick_default(organizations_el, orgs, warnings)
    resources = _parse_resources(root, version.family)

    manifest = Manifest(
        identifier=_id_attr(root, "identifier") or "",
        version=version,
        title="",
        default_organization=default,
        organizations=orgs,
        resources=resources,
        warnings=warnings,
    )
    org = _default_org(manifest)
    manifest.title = _metadata_title(root, read_file, warnings) or org.title
    _check_items(manifest, org)
    return manifest


def _default_org(manifest: Manifest) -> Organization:
    """The organization named by default_organization."""
    return next(o for o in manifest.organizations if o.identifier == manifest.default_organization)


def _walk(items: list[Item]) -> Iterable[Item]:
    """Items in document (pre-)order."""
    for item in items:
        yield item
        yield from _walk(item.children)


def _check_items(manifest: Manifest, org: Organization) -> None:
    """Refuse dangling identifierrefs, launch items without href, unsafe hrefs, empty orgs."""
    for o in manifest.organizations:
        for item in _walk(o.items):
            if item.identifierref and item.identifierref not in manifest.resources:
                raise ManifestError(
                    f"item {item.identifier!r} refers to resource {item.identifierref!r}, "
                    "which is not in the manifest"
                )
    for item in _walk(org.items):
        if not item.identifierref:
            continue
        resource = manifest.resources[item.identifierref]
        if not resource.href:
            raise ManifestError(
                f"resource {resource.identifier!r} (used by item {item.identifier!r}) "
                "has no href, so there is nothing to launch"
            )
        _check_href(resource.href)
    if not any(i.identifierref for i in _walk(org.items)):
        raise ManifestError(
            f"organization {org.identifier!r} has no item that points at a resource; "
            "nothing can be launched"
        )


def _check_href(href: str) -> None:
    """A launch href must be a relative path that stays inside the package."""
    parts = urlsplit(href)
    if parts.scheme or parts.netloc or href.startswith(("/", "\\")):
        raise ManifestError(f"launch address {href!r} points outside the package")
    path = unquote(parts.path)
    if "\\" in path or posixpath.normpath(path).startswith("../") or path == "..":
        raise ManifestError(f"launch address {href!r} points outside the package")


# ---------------------------------------------------------------- launch list


def _with_parameters(href: str, parameters: str) -> str:
    """Append item parameters to a resource href following the SCORM CAM rules."""
    params = parameters.lstrip("?&")
    if not params:
        return href
    if params.startswith("#"):
        # A fragment is only added when the href does not already carry one.
        return href if "#" in href else href + params
    return href + ("&" if "?" in href else "?") + params


def launchable_items(manifest: Manifest) -> list[Sco]:
    """Items of the default organization that launch something, in manifest order."""
    out: list[Sco] = []
    for item in _walk(_default_org(manifest).items):
        if not item.identifierref:
            continue
        resource = manifest.resources[item.identifierref]
        assert resource.href is not None  # parse_manifest refused launch items without one
        out.append(
            Sco(
                identifier=item.identifier,
                title=item.title,
                href=_with_parameters(resource.href, item.parameters),
                # A missing scormtype is read as "sco": giving the runtime API to content
                # that never calls it is harmless, withholding it loses the learner's record.
                scorm_type=resource.scorm_type or "sco",
                resource_identifier=resource.identifier,
                visible=item.isvisible,
                mastery_score=item.mastery_score,
                scaled_passing_score=item.scaled_passing_score,
                completion_threshold=item.completion_threshold,
                launch_data=item.launch_data,
            )
        )
    return out


def activity_tree(manifest: Manifest) -> dict[str, Any]:
    """The default organization as a SCORM 2004 activity tree (sequencing.activity_from_dict).

    The organization is the root activity; every item is an activity, a leaf launches
    its resource. A leaf without a resource cannot be delivered, so it is left out.
    """
    org = _default_org(manifest)

    def node(item: Item) -> dict[str, Any] | None:
        children = [n for n in (node(c) for c in item.children) if n is not None]
        if not children and not item.identifierref:
            return None
        return {
            "id": item.identifier,
            "title": item.title,
            "visible": item.isvisible,
            "launch": bool(item.identifierref) and not children,
            "children": children,
            **item.sequencing,
        }

    return {
        "id": org.identifier,
        "title": org.title,
        "children": [n for n in (node(i) for i in org.items) if n is not None],
        **org.sequencing,
    }


def launch_path(href: str) -> str:
    """The package-relative file behind a launch href (no query, no fragment, unquoted)."""
    return posixpath.normpath(unquote(urlsplit(href).path))


def validate_against_files(manifest: Manifest, file_names: Iterable[str]) -> None:
    """Refuse a manifest whose launch files are not among the package's file names."""
    present = {posixpath.normpath(n) for n in file_names if n and not n.endswith("/")}
    missing: list[str] = []
    for sco in launchable_items(manifest):
        path = launch_path(sco.href)
        if path not in present and path not in missing:
            missing.append(path)
    if len(missing) == 1:
        raise ManifestError(f"{missing[0]} is referenced but not in the package")
    if missing:
        raise ManifestError(
            f"{missing[0]} and {len(missing) - 1} other launch file(s) are referenced "
            "but not in the package"
        )
