"""Stage bookkeeping for multi-stage jobs: each finished stage records a key made from its inputs'
fingerprints and its settings; a later run redoes a stage only when its key changed (or --fresh)."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ..atomic import write_json


def digest(*parts: Any) -> str:
    """A short stable hash of JSON-serialisable parts."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def inputs_fingerprint(paths: list[Path]) -> str:
    """Fingerprint of input files (relative path, size, mtime) under each path; cheap to recompute."""
    entries = []
    for root in paths:
        root = Path(root)
        if root.is_file():
            st = root.stat()
            entries.append((str(root), st.st_size, st.st_mtime_ns))
            continue
        for dirpath, dirnames, filenames in os.walk(root):
            dirnames.sort()
            for name in sorted(filenames):
                p = Path(dirpath) / name
                st = p.stat()
                entries.append((str(p.relative_to(root)), st.st_size, st.st_mtime_ns))
    return digest(entries)


class StageLog:
    """``state.json`` in a job directory: the key each stage was last completed with."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / "state.json"
        self.state: dict[str, Any] = {}
        if self.path.exists():
            try:
                self.state = json.loads(self.path.read_text())
            except json.JSONDecodeError:
                self.state = {}

    def is_current(self, stage: str, key: str, *outputs: Path) -> bool:
        """True when ``stage`` last finished with ``key`` and its outputs still exist."""
        return self.state.get(stage, {}).get("key") == key and all(Path(o).exists() for o in outputs)

    def done(self, stage: str, key: str, **info: Any) -> None:
        self.state[stage] = {"key": key, **info}
        write_json(self.path, self.state)

    def forget(self) -> None:
        self.state = {}
        if self.path.exists():
            self.path.unlink()
