"""The short closing summary of `kegan demo`: what went in, the distances against the floor, the TSTR
ratio, and the paths to open."""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from ..evaluate.coverage import category_coverage
from .demo import DemoResult

FEATURES = ("C", "M", "A", "P", "L")


def _fmt(x: Any) -> str:
    return "   -  " if x is None else f"{x:.4f}"


def format_summary(result: DemoResult) -> str:
    m = result.metrics
    out = result.out
    info = json.loads((out / "demo.json").read_text()) if (out / "demo.json").exists() else {}
    lines = ["", "kegan demo: done"]
    if info:
        lines.append(
            f"  in:  {info['objects']} objects in {info['categories']} categories "
            f"({info['train_objects']} to train, {info['test_objects']} held out)"
        )
    syn = m.get("datasets", {}).get("synthetic", {})
    if syn:
        lines.append(f"  out: {syn['n_objects']} synthetic objects, {syn['n_records']} records, "
                     f"{syn['n_categories']} categories")
        lines += [f"  {line}" for line in category_coverage(m)]
    fid, cat, fl = m.get("fidelity", {}), m.get("categorized", {}), m.get("floor", {})
    lines += ["", "  Jensen-Shannon distance (0 = same distribution, 1 = disjoint; lower is better)",
              f"  {'':22}" + "".join(f"{f:>9}" for f in FEATURES)]
    for key, label in (("test", "vs held-out real"), ("real", "vs training part")):
        if key in fid:
            lines.append(f"  {label:22}" + "".join(f"{_fmt(fid[key].get(f)):>9}" for f in FEATURES))
    if fl:
        lines.append(f"  {'floor (real vs real)':22}" + "".join(f"{_fmt(fl.get(f, {}).get('mean')):>9}" for f in FEATURES))
    if "test" in cat:
        lines.append(f"  {'categorized, held-out':22}{'':9}" + "".join(f"{_fmt(cat['test'].get(f)):>9}" for f in FEATURES[1:]))
        lines.append(f"  {'categorized floor':22}{'':9}"
                     + "".join(f"{_fmt(fl.get('cat_' + f, {}).get('mean')):>9}" for f in FEATURES[1:]))
    tstr = m.get("tstr", {})
    if tstr:
        ratios = [r["accuracy"] for r in tstr.get("ratio", {}).values() if r.get("accuracy") is not None]
        real_acc = [v["accuracy"] for v in tstr.get("train_real", {}).values()]
        syn_acc = [v["accuracy"] for v in tstr.get("train_synthetic", {}).values()]
        if ratios:
            on = "the held-out real objects" if tstr.get("test_on") == "TEST" else tstr.get("test_on")
            lines += ["", f"  train-on-synthetic / train-on-real accuracy, tested on {on}: "
                          f"mean ratio {np.mean(ratios):.2f} (real {np.mean(real_acc):.3f}, synthetic {np.mean(syn_acc):.3f}, "
                          f"over {len(ratios)} classifiers)"]
    t = result.timings
    lines += ["", "  time: " + ", ".join(f"{k} {v:.0f}s" for k, v in t.items()) + f" (total {sum(t.values()):.0f}s); "
              f"peak memory {result.peak_rss_mb:.0f} MB"]
    if result.reused:
        lines.append("  reused (inputs unchanged): " + ", ".join(result.reused) + "  (--fresh redoes all)")
    lines += ["", "  open:",
              f"    report:            {out / 'report' / 'report.html'}",
              f"    synthetic dataset: {out / 'synthetic'}/",
              f"    real dataset:      {out / 'dataset'}/   model: {out / 'model'}/   split: {out / 'split.json'}"]
    return "\n".join(lines)
