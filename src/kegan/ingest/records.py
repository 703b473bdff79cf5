"""Cutting one object's packets into records (A, P, L) -- paper section 2, Table 1.

A record is a group of consecutive packets. With a time window w, window k holds the packets with
t0 + k*w <= t < t0 + (k+1)*w, t0 being the object's first packet, and empty windows make no record.
With an idle gap G, a record ends when the next packet comes more than G after the previous one.
Either way a record starts at its first packet; A is the time between consecutive record starts
(0 for the first), P the packet count, L the mean IP length of the record's packets.
"""

from __future__ import annotations

import math

import numpy as np

from ..errors import ParameterError

NS = 1_000_000_000


def seconds_to_ns(value: float, option: str) -> int:
    """A positive duration in seconds as whole nanoseconds; ParameterError names ``option`` otherwise."""
    if value is None or not math.isfinite(value) or value <= 0:
        raise ParameterError(f"{option} {value!r}: expected a positive number of seconds")
    ns = round(value * NS)
    if ns < 1:
        raise ParameterError(f"{option} {value!r}: shorter than one nanosecond")
    return ns


def cut_records(time_ns: np.ndarray, length: np.ndarray, window_ns: int | None = None,
                gap_ns: int | None = None) -> np.ndarray:
    """Records of one object as a (M, 3) float64 array of (A seconds, P, L bytes).

    ``time_ns`` (n,) int64 must be sorted ascending and n >= 1; exactly one of ``window_ns`` and
    ``gap_ns`` is given.
    """
    if (window_ns is None) == (gap_ns is None):
        raise ParameterError("give exactly one of window and gap")
    if window_ns is not None:
        k = (time_ns - time_ns[0]) // window_ns
        first = np.flatnonzero(np.r_[True, k[1:] != k[:-1]])
    else:
        first = np.flatnonzero(np.r_[True, np.diff(time_ns) > gap_ns])
    counts = np.diff(np.r_[first, len(time_ns)])
    sums = np.add.reduceat(length.astype(np.float64), first)
    starts = time_ns[first]
    arrival = np.r_[0, np.diff(starts)].astype(np.float64) / NS
    return np.column_stack([arrival, counts.astype(np.float64), sums / counts])
