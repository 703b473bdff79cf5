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
    _, values = cut_all(np.zeros(len(time_ns), dtype=np.int64), time_ns, length, window_ns, gap_ns)
    return values


def cut_all(obj: np.ndarray, time_ns: np.ndarray, length: np.ndarray, window_ns: int | None = None,
            gap_ns: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Records of many objects at once: (object of each record (M,), (M, 3) float64 A, P, L).

    ``obj`` (n,) object index of each packet, packets grouped by object and in time order within it.
    """
    if (window_ns is None) == (gap_ns is None):
        raise ParameterError("give exactly one of window and gap")
    new_obj = np.r_[True, obj[1:] != obj[:-1]]
    if window_ns is not None:
        t0 = time_ns[new_obj][np.cumsum(new_obj) - 1]  # (n,) first packet time of each packet's object
        k = (time_ns - t0) // window_ns
        first = new_obj | np.r_[True, k[1:] != k[:-1]]
    else:
        first = new_obj | np.r_[True, np.diff(time_ns) > gap_ns]
    first_idx = np.flatnonzero(first)
    counts = np.diff(np.r_[first_idx, len(time_ns)])
    sums = np.add.reduceat(length.astype(np.float64), first_idx)
    starts = time_ns[first_idx]
    arrival = np.r_[0, np.diff(starts)].astype(np.float64) / NS
    arrival[new_obj[first_idx]] = 0.0  # A of an object's first record
    return obj[first_idx], np.column_stack([arrival, counts.astype(np.float64), sums / counts])
