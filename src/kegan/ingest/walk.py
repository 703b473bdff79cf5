"""Finding the input files: captures and packet tables named on the command line or found in folders.

In a folder only files named as captures (``.pcap``, ``.pcapng``, ``.cap``, each optionally ``.gz``)
or packet tables (``.csv``, ``.csv.gz``, ``.parquet``) are read; dotfiles, dot-folders and other files
are skipped and counted. A file named on the command line is always read: as a table when its name
says so, otherwise as a capture (its magic decides the container).
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import DataError

CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap")
TABLE_SUFFIXES = (".csv", ".parquet")
GZIP_MAGIC = b"\x1f\x8b"


@dataclass
class InputFile:
    """One file to read. ``relative`` (posix) is its path below ``root``: the object id in capture mode."""

    path: Path
    root: Path
    relative: str
    kind: str  # "capture" or "table"


@dataclass
class Walk:
    files: list[InputFile] = field(default_factory=list)
    skipped: Counter = field(default_factory=Counter)  # reason -> count ("dotfile", "not a capture or table")


def kind_of(name: str) -> str | None:
    """'capture', 'table' or None, from a file name (a trailing .gz is looked through)."""
    lower = name.lower()
    if lower.endswith(".gz"):
        lower = lower[:-3]
        if lower.endswith(".parquet"):
            return None  # Parquet compresses itself; a gzipped one is not something we read
    if lower.endswith(CAPTURE_SUFFIXES):
        return "capture"
    if lower.endswith(TABLE_SUFFIXES):
        return "table"
    return None


def discover(inputs: list[Path], exclude: set[Path] | None = None) -> Walk:
    """Input files in a stable order (inputs as given, folders walked in sorted order).

    ``exclude`` holds resolved paths never to read as traffic (the device table, the manifest).
    Raises DataError for an input that does not exist.
    """
    exclude = exclude or set()
    exclude_names = {p.name for p in exclude}
    walk = Walk()
    seen: dict[str, Path] = {}
    for given in map(Path, inputs):
        if not given.exists():
            raise DataError(f"{given}: no such file or folder")
        if given.is_dir():
            root = given
            for dirpath, dirnames, filenames in os.walk(root):
                hidden = [d for d in dirnames if d.startswith(".")]
                if hidden:
                    walk.skipped["dotfile"] += len(hidden)
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for fname in sorted(filenames):
                    path = Path(dirpath) / fname
                    if fname.startswith("."):
                        walk.skipped["dotfile"] += 1
                        continue
                    if fname in exclude_names and path.resolve() in exclude:
                        walk.skipped["device table or manifest"] += 1
                        continue
                    kind = kind_of(fname)
                    if kind is None:
                        walk.skipped["not a capture or table"] += 1
                        continue
                    _add(walk, seen, InputFile(path, root, path.relative_to(root).as_posix(), kind))
        else:
            # A file named alone keeps its folder in its id ("D-LinkCam/Setup-A-1-STA.pcap"), as a walk would.
            root = given.parent.parent if given.parent.name else given.parent
            relative = given.resolve().relative_to(root.resolve()).as_posix()
            _add(walk, seen, InputFile(given, root, relative, kind_of(given.name) or "capture"))
    return walk


def _add(walk: Walk, seen: dict[str, Path], item: InputFile) -> None:
    if item.relative in seen:
        raise DataError(f"{item.path}: gives the same object id {item.relative!r} as {seen[item.relative]}; "
                        "name their common folder instead of each file")
    seen[item.relative] = item.path
    walk.files.append(item)


def read_bytes(path: Path) -> bytes:
    """The file's bytes, gunzipped when they start with the gzip magic; DataError when unreadable."""
    try:
        data = path.read_bytes()
    except OSError as e:
        raise DataError(f"{path}: cannot be read ({e.strerror})") from e
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as e:
            raise DataError(f"{path}: gzip data is damaged ({e})") from e
    return data
