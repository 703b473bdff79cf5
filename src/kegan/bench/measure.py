"""Wall-clock time and peak memory of one step (a generator's fit or sample).

Memory is the peak resident set size (RSS) of the process during the step minus the RSS just before
it, sampled every ``interval`` seconds from ``/proc/self/statm`` by a background thread; on CUDA also
``torch.cuda.max_memory_allocated`` (reset before the step). Why not tracemalloc: it does not see
torch's CPU tensors (allocated outside Python's allocator) and slows allocation-heavy Python code,
which would distort a shared wall-clock budget. Where ``/proc`` is missing the fallback is the growth of
``resource.getrusage`` ``ru_maxrss``, which only shows a step that raises the process's all-time peak.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from typing import Any

MB = 1024.0 * 1024.0
_STATM = "/proc/self/statm"


def _rss_bytes() -> int | None:
    """Current resident set size in bytes, or None where /proc is unavailable."""
    try:
        with open(_STATM) as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def _maxrss_bytes() -> int:
    # ru_maxrss is in kilobytes on Linux.
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss) * 1024


def memory_method() -> str:
    """One line saying how peak memory is measured on this machine (recorded in bench.json)."""
    if _rss_bytes() is not None:
        return "peak RSS during the step minus RSS before it, sampled every 20 ms from /proc/self/statm"
    return "growth of resource.getrusage ru_maxrss during the step (0 when below the earlier peak)"


class Measure:
    """Context manager: ``with Measure(cuda) as m: ...``; then ``m.seconds``, ``m.peak_rss_mb``,
    ``m.peak_cuda_mb`` (None unless ``cuda``)."""

    def __init__(self, cuda: bool = False, interval: float = 0.02):
        self.cuda = cuda
        self.interval = interval
        self.seconds = 0.0
        self.peak_rss_mb = 0.0
        self.peak_cuda_mb: float | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._peak = 0
        self._base = 0
        self._use_proc = _rss_bytes() is not None

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            rss = _rss_bytes() or 0
            self._peak = max(self._peak, rss)

    def __enter__(self) -> Measure:
        if self.cuda:
            import torch

            torch.cuda.synchronize()
            torch.cuda.reset_peak_memory_stats()
        if self._use_proc:
            self._base = _rss_bytes() or 0
            self._peak = self._base
            self._thread = threading.Thread(target=self._sample, daemon=True)
            self._thread.start()
        else:
            self._base = _maxrss_bytes()
        self._t0 = time.perf_counter()
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.cuda:
            import torch

            torch.cuda.synchronize()
            self.peak_cuda_mb = torch.cuda.max_memory_allocated() / MB
        self.seconds = time.perf_counter() - self._t0
        if self._use_proc:
            self._stop.set()
            if self._thread is not None:
                self._thread.join()
            self._peak = max(self._peak, _rss_bytes() or 0)
            self.peak_rss_mb = max(self._peak - self._base, 0) / MB
        else:
            self.peak_rss_mb = max(_maxrss_bytes() - self._base, 0) / MB
