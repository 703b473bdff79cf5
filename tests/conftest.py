"""Shared fixtures: paths to the real data in ../shared, the independent format checker, and
session-wide real datasets (ingested once, embedded once) so the suite stays fast."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SENTINEL = SHARED / "data" / "iot-sentinel"
SENTINEL_CAPTURES = SENTINEL / "captures"
SENTINEL_DEVICES = SENTINEL / "devices.csv"
CHECKER = SHARED / "tools" / "check_dataset.py"


def check_dataset(path: Path, synthetic: bool = False) -> str:
    """Run ../shared/tools/check_dataset.py (with this Python) on ``path``; fail the test on a violation."""
    args = [sys.executable, str(CHECKER), str(path)] + (["--synthetic"] if synthetic else [])
    res = subprocess.run(args, capture_output=True, text=True)
    assert res.returncode == 0, f"check_dataset.py {path}:\n{res.stdout}{res.stderr}"
    return res.stdout.strip()


def run_kegan(*args) -> subprocess.CompletedProcess:
    """``kegan ARGS...`` in a new process (this Python), output captured as text."""
    return subprocess.run([sys.executable, "-m", "kegan.cli.main", *map(str, args)], capture_output=True, text=True)


def _need_sentinel() -> None:
    if not SENTINEL_CAPTURES.is_dir():
        pytest.fail(f"the real captures are missing: expected {SENTINEL_CAPTURES}")


@pytest.fixture(scope="session")
def sentinel_dataset(tmp_path_factory) -> Path:
    """The IoT Sentinel captures ingested once per session (capture objects, 1 s windows)."""
    _need_sentinel()
    from kegan.ingest.api import ingest

    out = tmp_path_factory.mktemp("sentinel") / "dataset"
    ingest([SENTINEL_CAPTURES], devices=SENTINEL_DEVICES, out=out, progress=False)
    return out


@pytest.fixture(scope="session")
def sentinel_embedded(sentinel_dataset, tmp_path_factory) -> Path:
    """A copy of the real dataset with its knowledge graph and TransE embeddings (small budget)."""
    from kegan.knowledge.api import build_knowledge

    out = tmp_path_factory.mktemp("sentinel-kg") / "dataset"
    shutil.copytree(sentinel_dataset, out)
    build_knowledge(out, dim=32, epochs=20, seed=0, device="cpu", progress=False)
    return out


@pytest.fixture
def toy_dataset():
    """A 40-object, 4-category in-memory dataset with separable categories."""
    from kegan.dataset.toy import make_toy_dataset

    return make_toy_dataset(n_objects=40, n_categories=4, max_len=60, seed=0)
