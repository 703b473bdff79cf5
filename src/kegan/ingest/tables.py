"""Packet tables (CSV or Parquet): one row per packet, columns named by :class:`TableOptions`.

Prefer a length column measured at the IP layer (tshark's ``ip.len``, or ``frame.len`` minus the link
header): captures are measured there, so only then do tables and captures of the same traffic agree.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, ParameterError
from .devices import ip_key
from .packets import Packets

TIME_UNITS = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000, "ns": 1}
PROTOCOLS = {"tcp": 6, "udp": 17, "sctp": 132, "icmp": 1, "icmpv6": 58}


@dataclass
class TableOptions:
    """Column names of packet tables. ``time`` is in ``time_unit`` (s, ms, us, ns) since any origin,
    or a datetime column; ``length`` in bytes; the others are optional (None = not in the table).
    ``device`` holds a device key per row (device name, MAC or IP from the device table)."""

    time: str = "time"
    time_unit: str = "s"
    length: str = "length"
    device: str | None = None
    remote_ip: str | None = None
    remote_port: str | None = None
    protocol: str | None = None

    def __post_init__(self) -> None:
        if self.time_unit not in TIME_UNITS:
            raise ParameterError(f"--time-unit {self.time_unit!r}: expected one of {', '.join(TIME_UNITS)}")

    def as_dict(self) -> dict:
        return asdict(self)


def _where(path: Path, row: int) -> str:
    csv = path.suffix.lower() != ".parquet"
    return f"{path} row {row}" + (f" (line {row + 2})" if csv else "")


def _show(value) -> str:
    """A cell as the user wrote it: 'empty' for a missing one."""
    return "empty" if value is None or (isinstance(value, float) and np.isnan(value)) or value == "" else str(value)


def _first(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _text(column: pd.Series) -> pd.Series:
    """The column as stripped strings, '' for a missing cell (``astype(str)`` keeps NaN as a float, which
    breaks sorting and string methods)."""
    return column.fillna("").astype(str).str.strip()


def _numbers(frame: pd.DataFrame, column: str, path: Path, what: str) -> np.ndarray:
    """The column as float64; DataError naming the first row that is not a finite number >= 0."""
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        i = _first(bad)
        raise DataError(f"{_where(path, i)}: column {column!r} is {_show(raw.iloc[i])}, expected a finite number ({what})")
    negative = values < 0
    if negative.any():
        i = _first(negative)
        raise DataError(f"{_where(path, i)}: column {column!r} is {_show(raw.iloc[i])}, expected a number >= 0 ({what})")
    return values


def read_table(path: Path, opts: TableOptions) -> list[tuple[str | None, Packets]]:
    """Packets of one table, grouped by the device column (one group with key None without one).

    Raises DataError for an unreadable file, a missing column (naming it and the columns present),
    or a row whose time or length is missing, non-finite or negative (naming the row).
    """
    try:
        if path.suffix.lower() == ".parquet":
            frame = pd.read_parquet(path)
        else:
            frame = pd.read_csv(path)  # a .csv.gz is gunzipped by pandas
    except Exception as e:  # noqa: BLE001 - any parser failure is a bad file to the user
        raise DataError(f"{path}: cannot be read as a packet table: {e}") from e
    frame.columns = [str(c).strip() for c in frame.columns]
    wanted = {"time": opts.time, "length": opts.length, "device": opts.device, "remote IP": opts.remote_ip,
              "remote port": opts.remote_port, "protocol": opts.protocol}
    for what, col in wanted.items():
        if col is not None and col not in frame.columns:
            raise DataError(f"{path}: packet table lacks the {what} column {col!r} "
                            f"(has {', '.join(map(repr, frame.columns))}); name it with the table column options")
    if not len(frame):
        raise DataError(f"{path}: packet table has no rows")

    time_ns = _times(frame, opts, path)
    length = _numbers(frame, opts.length, path, "packet length in bytes")
    zero = length < 1
    if zero.any():
        i = _first(zero)
        raise DataError(f"{_where(path, i)}: column {opts.length!r} is {_show(frame[opts.length].iloc[i])}, "
                        "expected a packet length of at least 1 byte")

    columns = {}
    n = len(frame)
    if opts.remote_ip:
        columns.update(_remote_ips(frame[opts.remote_ip], path))
    if opts.remote_port:
        port = pd.to_numeric(frame[opts.remote_port], errors="coerce").to_numpy(dtype=np.float64)
        given = frame[opts.remote_port].notna().to_numpy() & (frame[opts.remote_port].astype(str).str.strip() != "")
        bad = given & ~((port >= 0) & (port <= 65535) & (port == np.round(port)))
        if bad.any():
            i = _first(bad)
            raise DataError(f"{_where(path, i)}: column {opts.remote_port!r} is {_show(frame[opts.remote_port].iloc[i])}, "
                            "expected a port number 0-65535")
        columns["remote_port"] = np.where(given, np.nan_to_num(port), -1).astype(np.int64)
    if opts.protocol:
        columns["proto"] = _protocols(frame[opts.protocol], path)
    packets = Packets.from_columns(time_ns, np.rint(length), **columns)
    if packets.remote is None:
        packets.remote = np.zeros((n, 16), np.uint8)
        packets.has_remote = np.zeros(n, bool)
    if packets.remote_port is None:
        packets.remote_port = np.full(n, -1, np.int64)

    if opts.device is None:
        return [(None, packets)]
    keys = _text(frame[opts.device]).to_numpy()
    empty = keys == ""
    if empty.any():  # a row without a device cannot be given to any object
        raise DataError(f"{_where(path, _first(empty))}: column {opts.device!r} is empty, expected a device key "
                        "(a device name, MAC or IP of the device table)")
    uniq, inverse = np.unique(keys, return_inverse=True)
    return [(str(k), packets.take(inverse == j)) for j, k in enumerate(uniq)]


def _times(frame: pd.DataFrame, opts: TableOptions, path: Path) -> np.ndarray:
    """The time column as int64 ns: numbers in ``opts.time_unit``, a datetime column (Parquet), or ISO 8601
    strings (CSV); timezone-aware datetimes are taken in UTC, naive ones as they are."""
    raw = frame[opts.time]
    what = f"time in {opts.time_unit}"
    if not pd.api.types.is_datetime64_any_dtype(raw) and not pd.api.types.is_numeric_dtype(raw):
        text = _text(raw)
        given = (text != "").to_numpy()
        # CSV has no datetime type: the first value decides whether the column holds numbers or datetimes,
        # so that a stray bad value is reported against what the rest of the column is.
        if given.any() and np.isnan(pd.to_numeric(text.iloc[_first(given)], errors="coerce")):
            raw = pd.to_datetime(text.where(given, None), format="ISO8601", errors="coerce", utc=True)
            bad = raw.isna().to_numpy() & given
            if bad.any():
                i = _first(bad)
                raise DataError(f"{_where(path, i)}: column {opts.time!r} is {text.iloc[i]!r}, expected an ISO 8601 "
                                "datetime like the column's first value (e.g. 2016-03-01T12:00:00.123456)")
    if pd.api.types.is_datetime64_any_dtype(raw):
        if raw.isna().any():
            raise DataError(f"{_where(path, _first(raw.isna().to_numpy()))}: column {opts.time!r} is missing, expected a time")
        if raw.dt.tz is not None:
            raw = raw.dt.tz_convert(None)  # to UTC wall time
        return raw.astype("datetime64[ns]").to_numpy().astype(np.int64)
    if pd.api.types.is_integer_dtype(raw):
        _numbers(frame, opts.time, path, what)
        return raw.to_numpy(dtype=np.int64) * TIME_UNITS[opts.time_unit]
    seconds = _numbers(frame, opts.time, path, what)
    return np.rint(seconds * TIME_UNITS[opts.time_unit]).astype(np.int64)


def _protocols(column: pd.Series, path: Path) -> np.ndarray:
    """Protocol numbers per row from names (``PROTOCOLS``) or numbers 0-255; -1 for an empty cell. Any
    other value is a DataError: it would otherwise silently drop the row's port."""
    text = _text(column).str.lower()
    number = pd.to_numeric(text, errors="coerce").to_numpy(dtype=np.float64)
    named = text.map(PROTOCOLS).to_numpy(dtype=np.float64)  # NaN where not a name
    proto = np.where(np.isnan(named), number, named)
    given = (text != "").to_numpy()
    bad = given & ~((proto >= 0) & (proto <= 255) & (proto == np.round(proto)))
    if bad.any():
        i = _first(bad)
        raise DataError(f"{_where(path, i)}: column {column.name!r} is {text.iloc[i]!r}, expected a protocol name "
                        f"({', '.join(PROTOCOLS)}) or number 0-255, or an empty cell")
    return np.where(given, np.nan_to_num(proto), -1).astype(np.int64)


def _remote_ips(column: pd.Series, path: Path) -> dict[str, np.ndarray]:
    text = _text(column)
    present = (text != "").to_numpy()
    uniq, inverse = np.unique(text.to_numpy(), return_inverse=True)
    table = np.zeros((len(uniq), 16), np.uint8)
    for j, value in enumerate(uniq):
        rows = np.flatnonzero((inverse == j) & present)
        if len(rows):
            table[j] = np.frombuffer(ip_key(value, f"{_where(path, int(rows[0]))} column {column.name!r}"), np.uint8)
    return {"remote": table[inverse], "has_remote": present}
