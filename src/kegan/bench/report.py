"""Writing a bench result: ``bench.json`` (every figure and setting), ``bench.md`` (tables, PNGs beside
it) and ``bench.html`` (one self-contained file, PNGs embedded as base64)."""

from __future__ import annotations

import base64
import html
import re
from pathlib import Path
from typing import Any

from ..atomic import write_json, write_text
from .figure5 import plot_figure5
from .tables import all_tables, plot_figure4, to_html, to_markdown

FIGURES = {"figure4": "Figure 4: objects per category, real training part and each generator",
           "figure5": "Figure 5: JSD to the full real data of KE-GAN with and without knowledge, by "
                      "training-set sampling rate (band: ± one std over repeats)"}


def _summary_lines(result: dict[str, Any]) -> list[str]:
    s, d, sp = result["settings"], result["dataset"], result["split"]
    lines = [
        f"Dataset: `{d['path']}` ({d['objects']} objects, {d['records']} records, {len(d['categories'])} "
        f"categories; fingerprint `{str(d.get('fingerprint'))[:12]}`)",
        f"Split: {sp['train_objects']} training / {sp['heldout_objects']} held-out objects (by object, "
        f"stratified by category, seed {s['seed']}); every generator trains on the training part and samples "
        f"{sp['train_objects']} objects.",
        f"Budget: {s['max_minutes']:g} min per neural generator, {s['fig5_minutes']:g} min per Figure 5 run, "
        f"{s['fig5_repeats']} Figure 5 repeat(s); device {s['device']}; seed {s['seed']}.",
        f"Bin edges: once from the full real dataset ({d['objects']} objects). Knowledge: {result['knowledge']['source']}.",
        f"Wall time: {result['timings']['total_seconds']:.0f} s; kegan {result['kegan_version']}; {result['created']}.",
    ]
    if s.get("quick"):
        lines.insert(0, f"**Quick run** (`--quick`): a stratified sample of at most about {s['quick_max_objects']} "
                        f"objects, series cut to {s['quick_max_records']} records, tiny settings: the numbers "
                        "check the machinery, they say nothing about the generators.")
    for w in sp.get("warnings", []) + result.get("warnings", []):
        lines.append(f"Warning: {w}")
    for name, g in result["generators"].items():
        if g.get("status") != "ok":
            lines.append(f"Failed: {g.get('display', name)} at {g.get('failed_at')}: {g.get('error')}")
    return lines


def write_report(result: dict[str, Any], out: Path) -> dict[str, Path]:
    """Write bench.json, bench.md, bench.html and the figure PNGs into ``out`` (an existing directory).

    Returns {kind: path} of what was written.
    """
    out = Path(out)
    written: dict[str, Path] = {}
    figs: dict[str, Path] = {}
    figs["figure4"] = plot_figure4(result, out / "figure4.png")
    if result.get("figure5"):
        p = plot_figure5(result["figure5"], out / "figure5.png")
        if p is not None:
            figs["figure5"] = p
    result["figures"] = {k: p.name for k, p in figs.items()}
    tables = all_tables(result)

    md = ["# kegan bench", ""] + [f"- {line}" for line in _summary_lines(result)] + [""]
    for t in tables:
        md += [to_markdown(t), ""]
    for key, p in figs.items():
        md += [f"![{FIGURES[key]}]({p.name})", "", f"*{FIGURES[key]}*", ""]
    md.append("Protocol and every choice the paper leaves open: docs/bench.md.")
    written["md"] = out / "bench.md"
    write_text(written["md"], "\n".join(md) + "\n")

    written["html"] = out / "bench.html"
    write_text(written["html"], _html(result, tables, figs))
    written["json"] = out / "bench.json"
    write_json(written["json"], result)
    written.update(figs)
    return written


def _inline_html(line: str) -> str:
    """A summary line's Markdown (``**bold**`` and backquoted code) as escaped HTML."""
    text = html.escape(line)
    text = re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", text)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", text)


_CSS = """body{font-family:system-ui,sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 0.3em}th,td{border:1px solid #ccc;padding:3px 8px;font-size:13px}
td{text-align:right}thead th{background:#f2f2f2}tr.ref{color:#666;font-style:italic}
.note{font-size:12px;color:#555;margin:0 0 1.2em}img{max-width:100%}li{margin:2px 0}"""


def _html(result: dict[str, Any], tables: list, figs: dict[str, Path]) -> str:
    esc = html.escape
    parts = [f"<!doctype html><html><head><meta charset='utf-8'><title>kegan bench</title><style>{_CSS}</style>"
             "</head><body><h1>kegan bench</h1><ul>"]
    parts += [f"<li>{_inline_html(line)}</li>" for line in _summary_lines(result)]
    parts.append("</ul><p>Each table compares every generator under one protocol: same training part, same "
                 "wall-clock budget for neural generators, same bin edges. Distances (JSD) are in [0, 1], lower "
                 "is better; accuracies higher is better. Bold: best, underlined: second best.</p>")
    parts += [to_html(t) for t in tables]
    for key, p in figs.items():
        data = base64.b64encode(Path(p).read_bytes()).decode("ascii")
        parts.append(f"<h3>{esc(FIGURES[key])}</h3><img alt='{esc(key)}' src='data:image/png;base64,{data}'>")
    parts.append("<p class='note'>Protocol and every choice the paper leaves open: docs/bench.md in the kegan "
                 "repository. All numbers: bench.json.</p></body></html>")
    return "\n".join(parts)
