"""The rules that turn a dataset (device table + observations) into knowledge-graph triples.

Every object is a head entity ``object:<device_id>``; tails are typed (``manufacturer:D-Link``,
``dns_name:api.mydlink.com``, ``domain:mydlink.com``, ``platform:D-Link mydlink``, ``port:udp/123``).
The category is never put in the graph (it is what the generator must produce), and key columns (the
device name, MAC, IP: whatever matched traffic to the device table) never become relations, since each
would give every device its own unique tail and leak identity. docs/knowledge.md lists every rule.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping

import pandas as pd

from ..dataset.format import (
    OBS_DNS_ANSWER,
    OBS_DNS_QUERY,
    OBS_MAC,
    OBS_MAC_VENDOR,
    OBS_REMOTE_IP,
    OBS_REMOTE_PORT,
    Dataset,
)
from ..errors import ParameterError
from .platforms import load_platforms, registered_domain

TRIPLE_COLUMNS = ("head", "relation", "tail")

# Columns that identify a device or an object, or are the label to generate: never relations.
ALWAYS_KEY_COLUMNS = frozenset({"device_id", "device", "category", "mac", "ip", "ip_address", "name"})
MULTI_VALUE_SEPARATOR = "|"
# A non-well-known port (>= 1024) seen in fewer objects than this becomes ``port:<proto>/ephemeral``:
# on the IoT Sentinel captures 3,794 of 4,131 remote ports are one-off client ports, each a tail that
# only one object has (noise that pins that object and costs training time, not shared knowledge).
MIN_PORT_OBJECTS = 2
WELL_KNOWN_PORT_LIMIT = 1024
_EMPTY = frozenset({"", "nan", "none", "null", "<na>"})

# Relation names of the observation and second-level rules (attribute columns use their own names).
TALKS_TO = "talks_to"  # object -> ip:
QUERIES = "queries"  # object -> dns_name:
QUERIES_DOMAIN = "queries_domain"  # object -> domain:
COMMUNICATES_WITH = "communicates_with"  # object -> platform:  (the paper's relation)
USES_PORT = "uses_port"  # object -> port:
USES_PROTOCOL = "uses_protocol"  # object -> protocol:
MAC_VENDOR = "mac_vendor"  # object -> vendor:
SUBDOMAIN_OF = "subdomain_of"  # dns_name: -> domain:
RESOLVES_TO = "resolves_to"  # dns_name: -> ip:
OPERATED_BY = "operated_by"  # domain: -> platform:
PLATFORM_KIND = "platform_kind"  # platform: -> platform_kind:
PORT_PROTOCOL = "port_protocol"  # port: -> protocol:
MADE_BY = "made_by"  # model: -> manufacturer:
BUILTIN_RELATIONS = (
    TALKS_TO, QUERIES, QUERIES_DOMAIN, COMMUNICATES_WITH, USES_PORT, USES_PROTOCOL, MAC_VENDOR,
    SUBDOMAIN_OF, RESOLVES_TO, OPERATED_BY, PLATFORM_KIND, PORT_PROTOCOL, MADE_BY,
)


def object_entity(device_id: str) -> str:
    """The head entity of an object."""
    return f"object:{device_id}"


def _clean(value: object) -> str | None:
    """A label-safe value (no tabs or newlines, which would break triples.tsv), or None when empty."""
    if value is None:
        return None
    text = " ".join(str(value).split())
    return None if text.lower() in _EMPTY else text


def key_columns(ds: Dataset) -> set[str]:
    """Device-table columns that are keys (never relations): ``dataset.json`` ``key_columns`` plus
    device_id, device, category, mac, ip, ip_address and name (case-insensitive)."""
    declared = {str(c).lower() for c in ds.meta.get("key_columns", []) or []}
    keys = ALWAYS_KEY_COLUMNS | declared
    return {c for c in ds.devices.columns if str(c).lower() in keys}


def attribute_columns(ds: Dataset) -> list[str]:
    """Device-table columns that become relations, in table order."""
    keys = key_columns(ds)
    return [c for c in ds.devices.columns if c not in keys]


def _mac_vendor(mac: str) -> str | None:
    """Vendor of a MAC from netaddr's bundled IEEE OUI registry (offline), or None."""
    import netaddr

    try:
        return _clean(netaddr.EUI(mac).oui.registration().org)
    except (netaddr.AddrFormatError, netaddr.NotRegisteredError, IndexError, ValueError, TypeError):
        return None


class _Graph:
    """Deduplicating, order-keeping triple collector."""

    def __init__(self) -> None:
        self.rows: dict[tuple[str, str, str], None] = {}

    def add(self, head: str, relation: str, tail: str) -> None:
        self.rows[(head, relation, tail)] = None

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.rows), columns=list(TRIPLE_COLUMNS), dtype=str)


def _observations_by_object(ds: Dataset) -> dict[str, dict[str, list[str]]]:
    """device_id -> kind -> distinct cleaned values (first-seen order); count 0 rows are ignored."""
    out: dict[str, dict[str, list[str]]] = {}
    obs = ds.observations
    if obs is None or len(obs) == 0:
        return out
    counts = pd.to_numeric(obs["count"], errors="coerce").fillna(1) if "count" in obs.columns else None
    for i, (dev, kind, value) in enumerate(zip(obs["device_id"], obs["kind"], obs["value"], strict=True)):
        if counts is not None and counts.iloc[i] <= 0:
            continue
        v = _clean(value)
        if v is None:
            continue
        bucket = out.setdefault(str(dev), {}).setdefault(str(kind), [])
        if v not in bucket:
            bucket.append(v)
    return out


def build_triples(
    ds: Dataset,
    relation_map: Mapping[str, str | None] | None = None,
    platforms: Mapping[str, tuple[str, str]] | None = None,
    known_ports: Iterable[str] = (),
) -> pd.DataFrame:
    """All triples of ``ds`` as a DataFrame (head, relation, tail), deduplicated, in a fixed order.

    ``relation_map`` renames relations (``{"manufacturer": "manufactured_by"}``) or drops them (value
    None or ""); keys may be attribute columns or built-in relation names. ``platforms`` is the registered
    domain -> (platform, kind) table (default: the one kegan ships). ``known_ports`` (``udp/8765``...)
    are kept as their own tails however few objects here use them (for new objects embedded against a
    graph that has them). Raises ParameterError when the map names a key column or the category
    (they are never relations) or maps to a name with whitespace (it would break triples.tsv).
    """
    relation_map = dict(relation_map or {})
    keys = key_columns(ds)
    for name, new in relation_map.items():
        if name in keys or str(name).lower() in ALWAYS_KEY_COLUMNS:
            raise ParameterError(
                f"relation map: {name!r} is a key column or the category; it is never a relation"
            )
        if new is not None and new != "" and (not isinstance(new, str) or any(c.isspace() for c in new)):
            raise ParameterError(f"relation map: {name!r} -> {new!r}: a relation name must be non-empty, no whitespace")
    attrs = attribute_columns(ds)
    known = set(attrs) | set(BUILTIN_RELATIONS)
    unused = sorted(set(relation_map) - known)
    if unused:
        warnings.warn(f"relation map: {', '.join(map(repr, unused))} match no column or relation here", stacklevel=2)
    table = load_platforms() if platforms is None else platforms
    graph = _Graph()
    obs = _observations_by_object(ds)

    # Tail labels of a DNS name, memoised so second-level facts are emitted once per name.
    name_facts: dict[str, tuple[str | None, tuple[str, str] | None]] = {}

    def name_info(name: str) -> tuple[str | None, tuple[str, str] | None]:
        if name not in name_facts:
            reg = registered_domain(name)
            name_facts[name] = (reg, table.get(reg) if reg else None)
        return name_facts[name]

    # IP -> DNS names it was the answer for, over the whole dataset: lets a contacted IP point to a
    # platform even when the object did not query the name itself in this capture.
    ip_names: dict[str, list[str]] = {}
    for per in obs.values():
        for answer in per.get(OBS_DNS_ANSWER, []):
            name, sep, ip = answer.partition("=")
            name, ip = _clean(name.lower().rstrip(".")), _clean(ip)
            if sep and name and ip:
                ip_names.setdefault(ip, [])
                if name not in ip_names[ip]:
                    ip_names[ip].append(name)

    port_objects: dict[str, int] = {}
    for per in obs.values():
        for port in {p.lower() for p in per.get(OBS_REMOTE_PORT, [])}:
            port_objects[port] = port_objects.get(port, 0) + 1
    for port in known_ports:
        port_objects[str(port).lower()] = MIN_PORT_OBJECTS

    has_model_maker = "model" in attrs and "manufacturer" in attrs
    mac_cols = [c for c in keys if str(c).lower() == "mac"]
    rows = ds.devices.to_dict("records")
    for row in rows:
        dev_id = str(row["device_id"])
        head = object_entity(dev_id)
        # Device-table attributes: one triple per value of a multi-valued cell.
        for col in attrs:
            for part in str(row[col]).split(MULTI_VALUE_SEPARATOR):
                v = _clean(part)
                if v is not None:
                    graph.add(head, col, f"{col}:{v}")
        per = obs.get(dev_id, {})
        for ip in per.get(OBS_REMOTE_IP, []):
            graph.add(head, TALKS_TO, f"ip:{ip}")
        platforms_seen: list[tuple[str, str]] = []
        for name in per.get(OBS_DNS_QUERY, []):
            name = name.lower().rstrip(".")
            graph.add(head, QUERIES, f"dns_name:{name}")
            reg, plat = name_info(name)
            if reg:
                graph.add(head, QUERIES_DOMAIN, f"domain:{reg}")
            if plat:
                platforms_seen.append(plat)
        for ip in per.get(OBS_REMOTE_IP, []):
            for name in ip_names.get(ip, []):
                plat = name_info(name)[1]
                if plat:
                    platforms_seen.append(plat)
        for plat, _kind in platforms_seen:
            graph.add(head, COMMUNICATES_WITH, f"platform:{plat}")
        for port in per.get(OBS_REMOTE_PORT, []):
            port = _port_label(port.lower(), port_objects)
            graph.add(head, USES_PORT, f"port:{port}")
            proto, sep, _num = port.partition("/")
            if sep and proto:
                graph.add(head, USES_PROTOCOL, f"protocol:{proto}")
        # The MAC itself is identity; only its vendor is a fact.
        vendors = list(per.get(OBS_MAC_VENDOR, []))
        if not vendors:
            macs = list(per.get(OBS_MAC, [])) + [str(row[c]) for c in mac_cols]
            vendors = [v for v in (_mac_vendor(m) for m in macs if _clean(m)) if v]
        for vendor in vendors:
            graph.add(head, MAC_VENDOR, f"vendor:{vendor}")

    # Second-level facts that tie tails together.
    for row in rows if has_model_maker else []:
        for model in _split(row["model"]):
            for maker in _split(row["manufacturer"]):
                graph.add(f"model:{model}", MADE_BY, f"manufacturer:{maker}")
    for name, (reg, plat) in name_facts.items():
        if reg:
            graph.add(f"dns_name:{name}", SUBDOMAIN_OF, f"domain:{reg}")
            if plat:
                graph.add(f"domain:{reg}", OPERATED_BY, f"platform:{plat[0]}")
                if plat[1]:
                    graph.add(f"platform:{plat[0]}", PLATFORM_KIND, f"platform_kind:{plat[1]}")
    queried = set(name_facts)
    for ip, names in ip_names.items():
        for name in names:
            if name in queried:
                graph.add(f"dns_name:{name}", RESOLVES_TO, f"ip:{ip}")
    for (_h, rel, tail) in list(graph.rows):
        if rel == USES_PORT:
            proto, sep, _ = tail.removeprefix("port:").partition("/")
            if sep and proto:
                graph.add(tail, PORT_PROTOCOL, f"protocol:{proto}")
    return _apply_relation_map(graph.frame(), relation_map)


def _port_label(port: str, port_objects: Mapping[str, int]) -> str:
    """``udp/123`` as is; a rare non-well-known port as ``<proto>/ephemeral`` (see MIN_PORT_OBJECTS)."""
    proto, sep, num = port.partition("/")
    if sep and num.isdigit() and int(num) >= WELL_KNOWN_PORT_LIMIT and port_objects.get(port, 0) < MIN_PORT_OBJECTS:
        return f"{proto}/ephemeral"
    return port


def _split(cell: object) -> Iterable[str]:
    for part in str(cell).split(MULTI_VALUE_SEPARATOR):
        v = _clean(part)
        if v is not None:
            yield v


def _apply_relation_map(triples: pd.DataFrame, relation_map: Mapping[str, str | None]) -> pd.DataFrame:
    if not relation_map:
        return triples
    drop = {k for k, v in relation_map.items() if v is None or v == ""}
    rename = {k: v for k, v in relation_map.items() if k not in drop}
    kept = triples[~triples["relation"].isin(drop)].copy()
    kept["relation"] = kept["relation"].replace(rename)
    return kept.drop_duplicates().reset_index(drop=True)


def objects_without_triples(ds: Dataset, triples: pd.DataFrame) -> list[str]:
    """device_ids of objects that head no triple, in dataset order."""
    heads = set(triples["head"])
    return [d for d in ds.device_ids if object_entity(d) not in heads]
