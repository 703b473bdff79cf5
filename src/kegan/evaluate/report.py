"""report.md and one self-contained report.html (figures embedded as base64 PNG) from metrics.json.

Both files are rendered from the same list of blocks (headings, paragraphs, tables, figures), so
they always say the same thing; the CLI prints the main tables with :func:`text_table`.
"""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .floor import CATEGORIZED, OVERALL

METRIC_NAMES = {
    "C": "category C",
    "M": "series length M",
    "A": "arrival time interval A",
    "P": "packet number P",
    "L": "average packet length L",
} | {f"cat_{f}": f"categorized {f}" for f in "MAPL"}
SIDE_NAMES = {"real": "REAL", "test": "TEST"}


@dataclass
class Block:
    kind: str  # "h1" | "h2" | "p" | "table" | "img"
    text: str = ""
    header: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)
    image: str = ""  # file name of a PNG next to the report


def fmt(x: Any, digits: int = 4) -> str:
    """A number for a table: fixed digits, '-' for None/NaN."""
    if x is None:
        return "-"
    if isinstance(x, float):
        return "-" if x != x else f"{x:.{digits}f}"
    return str(x)


def distance_table(m: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Rows: every overall and categorized metric; columns: JSD against each real side, the floor."""
    sides = list(m["fidelity"])
    header = ["metric"] + [f"JSD vs {SIDE_NAMES[s]}" for s in sides] + ["floor (mean ± std)"]
    rows = []
    for key in OVERALL + CATEGORIZED:
        cells = [METRIC_NAMES[key]]
        for s in sides:
            cells.append(fmt(m["fidelity"][s][key] if key in OVERALL else m["categorized"][s][key[4:]]))
        fl = m["floor"][key]
        cells.append(f"{fmt(fl['mean'])} ± {fmt(fl['std'])}")
        rows.append(cells)
    return header, rows


def tstr_table(m: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Rows: classifiers; columns: accuracy and macro-F1 trained on real and on synthetic, ratios."""
    t = m["tstr"]
    header = ["classifier", "acc real", "acc synthetic", "acc ratio", "F1 real", "F1 synthetic", "F1 ratio"]
    rows = []
    for name, real in t["train_real"].items():
        syn, ratio = t["train_synthetic"][name], t["ratio"][name]
        rows.append([
            name,
            fmt(real["accuracy"]), fmt(syn["accuracy"]), fmt(ratio["accuracy"], 2),
            fmt(real["macro_f1"]), fmt(syn["macro_f1"]), fmt(ratio["macro_f1"], 2),
        ])
    return header, rows


def privacy_table(m: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    p = m["privacy"]
    rows = [
        ["synthetic series identical to a real series", fmt(p["share_identical"]), "should be 0"],
        ["... identical to a training series", fmt(p["share_identical_to_train"]), "should be 0"],
        ["median distance synthetic -> nearest training object", fmt(p["dcr_synthetic_median"]),
         "compare with the next row; much smaller means memorisation"],
        ["median distance held-out -> nearest training object", fmt(p["dcr_holdout_median"]),
         "what unseen real objects score"],
        ["share of synthetic objects closer to training than to held-out", fmt(p["share_closer_to_train"]),
         "0.5: no sign of copying; towards 1: copying"],
    ]
    return ["measure", "value", "reading"], rows


def stats_table(m: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    sides = list(m["stats"])
    header = ["feature", "statistic"] + [s for s in sides]
    rows = []
    for f in ("M", "A", "P", "L"):
        for stat in ("mean", "p50", "p90", "p99"):
            rows.append([f, stat] + [fmt(m["stats"][s]["features"][f][stat]) for s in sides])
    return header, rows


def category_table(m: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    sides = list(m["stats"])
    cats = sorted({c for s in sides for c in m["stats"][s]["category_share"]})
    header = ["category"] + [f"share {s}" for s in sides]
    for s in m["categorized"]:
        header += [f"JSD {f} vs {SIDE_NAMES[s]}" for f in "MAPL"]
    rows = []
    for c in cats:
        row = [c] + [fmt(m["stats"][s]["category_share"].get(c, 0.0), 3) for s in sides]
        for s in m["categorized"]:
            per = m["categorized"][s]["per_category"].get(c)
            row += [fmt(per[f]) if per else "-" for f in "MAPL"]
        rows.append(row)
    return header, rows


def _explanation(m: dict[str, Any]) -> list[Block]:
    d = m["datasets"]
    if m["mode"] == "test":
        split = (
            f"TSTR and privacy use the given real test set TEST ({d['test']['n_objects']} objects): the "
            f"classifiers train on REAL ({d['real']['n_objects']} objects, the data the generator was trained "
            f"on) or on the synthetic data and are tested on TEST; privacy treats REAL as the training part and "
            f"TEST as the held-out part. Distances are computed against REAL and against TEST."
        )
    else:
        split = (
            f"No real test set was given, so REAL was split by object, stratified by category (seed {m['seed']}): "
            f"{d['tstr_train']['n_objects']} objects (70%) to train the real-data classifiers and "
            f"{d['tstr_test']['n_objects']} objects (30%) to test every classifier. Privacy uses the same two "
            f"parts as training and held-out. If the generator was trained on all of REAL, the 30% part is not "
            f"truly held out, so the privacy comparison with it says little: pass --test with real objects the "
            f"generator never saw for a privacy check that means something."
        )
        if m.get("split_notes"):
            split += " Note from the split: " + "; ".join(m["split_notes"]) + "."
    return [
        Block("h2", "What was compared and how"),
        Block("p", (
            f"REAL: {d['real']['source']} ({d['real']['n_objects']} objects, {d['real']['n_records']} records). "
            f"SYNTHETIC: {d['synthetic']['source']} ({d['synthetic']['n_objects']} objects, "
            f"{d['synthetic']['n_records']} records)."
            + (f" TEST: {d['test']['source']} ({d['test']['n_objects']} objects, {d['test']['n_records']} records)."
               if "test" in d else "")
        )),
        Block("p", (
            "Fidelity is the Jensen-Shannon distance (JSD, base 2, square-root form: 0 means the same "
            "distribution, 1 disjoint supports) between real and synthetic distributions of the category C, the "
            "series length M (one value per object) and the record features A, P, L (all records pooled), as in "
            "the paper's Table 2. M, A, P, L are counted in 50 bins of equal width on the log1p scale spanning the "
            "real minimum to the real maximum, plus one bin below and one above, so synthetic values outside the "
            "real range count as a difference. The bins are fixed once by the full real data"
            + (" (REAL together with TEST)" if m["mode"] == "test" else "")
            + " and serve every comparison. Categorized JSD (paper Table 3) is the JSD of each real category's "
            "objects against the synthetic objects of the same category, averaged over real categories; a "
            "category the synthetic data lacks counts as 1."
        )),
        Block("p", (
            "The floor is the same distance between two halves of the real data (split by object, stratified by "
            f"category, {len(m['floor']['C']['values'])} seeds, mean ± standard deviation). Two real samples "
            "already differ by this much, so no generator can be expected to go below it; a distance near the "
            "floor is as good as it gets, one far above it is a real difference. The category floor is 0 (or "
            "nearly) by construction: stratified halves have the same category shares."
        )),
        Block("p", (
            "Usefulness is train-on-synthetic, test-on-real (paper Table 4): six scikit-learn classifiers learn "
            "the category from a fixed-length vector per object (log length, totals, and quantiles, moments and "
            "burstiness of log A, P, L; see docs/evaluate.md). The ratio synthetic / real near 1 means the "
            "synthetic data is as useful for training as real data. " + split
        )),
        Block("p", (
            "Privacy: a synthetic set that copies real series is not shareable, however faithful. We count "
            "synthetic series identical to real ones and compare, on standardised per-object vectors, how close "
            "synthetic objects sit to the training objects against how close unseen real objects sit to them "
            "(equal-sized samples)."
        )),
    ]


def blocks(m: dict[str, Any]) -> list[Block]:
    """The report's content, in order."""
    figs = m.get("figures", {})
    out = [Block("h1", "kegan evaluation report")]
    out.append(Block("p", (
        f"kegan {m['kegan_version']}, seed {m['seed']}, {m['elapsed_s']:.1f} s. Mode: "
        + ("distances against REAL and TEST; TSTR and privacy on TEST." if m["mode"] == "test"
           else "distances against REAL; TSTR and privacy on a 70/30 split of REAL.")
    )))
    out.append(Block("p", (
        "How to read this: each distance is 0 for identical distributions and 1 for distributions with nothing "
        "in common; compare it with the floor beside it, the distance between two halves of the real data, "
        "which no generator can be expected to beat. The TSTR ratios say how much of a classifier's accuracy "
        "survives training on synthetic instead of real data (1 = all). The privacy table says whether "
        "synthetic objects copy real ones. Details at the end of the page."
    )))
    out.append(Block("h2", "Fidelity: Jensen-Shannon distance beside the floor"))
    h, r = distance_table(m)
    out.append(Block("table", header=h, rows=r))
    if "distances" in figs:
        out.append(Block("img", "Distances (bars) and the floor (black marks).", image=figs["distances"]))
    out.append(Block("h2", "Usefulness: train on synthetic, test on real"))
    h, r = tstr_table(m)
    out.append(Block("p", f"Tested on {m['tstr']['test_on']}; real baseline trained on {m['tstr']['real_train_on']}."))
    out.append(Block("table", header=h, rows=r))
    out.append(Block("h2", "Privacy"))
    h, r = privacy_table(m)
    out.append(Block("table", header=h, rows=r))
    p = m["privacy"]
    out.append(Block("p", (
        f"Distances use {p['n_dcr_sample']} synthetic and {p['n_dcr_sample']} held-out objects against "
        f"{p['n_train']} training objects; the closer-to-training share compares each synthetic object's nearest "
        f"neighbour among {p['n_reference_sample']} training and {p['n_reference_sample']} held-out objects. "
        "When the training part is larger than the held-out part only a sample of it serves there, so copies "
        "of training objects outside that sample look like fresh objects; the identical share and the distances "
        "catch those."
    ) if p.get("n_dcr_sample") else "No held-out objects: only the identical shares are available."))
    out.append(Block("h2", "Figures"))
    captions = {
        "categories": "Objects per category, real vs synthetic (paper Figure 4).",
        "distributions": "Distributions of M, A, P, L on the shared bins, log axes (paper Figure 6).",
        "series": f"A few real and synthetic series of category {m.get('series_category')!r}.",
    }
    for key, caption in captions.items():
        if key in figs:
            out.append(Block("img", caption, image=figs[key]))
    out.append(Block("h2", "Where the distributions differ"))
    h, r = stats_table(m)
    out.append(Block("table", header=h, rows=r))
    h, r = category_table(m)
    out.append(Block("p", "Category shares and the categorized JSD of each real category (1: category missing)."))
    out.append(Block("table", header=h, rows=r))
    out += _explanation(m)
    return out


def render_markdown(bs: Sequence[Block]) -> str:
    lines: list[str] = []
    for b in bs:
        if b.kind == "h1":
            lines += [f"# {b.text}", ""]
        elif b.kind == "h2":
            lines += [f"## {b.text}", ""]
        elif b.kind == "p":
            lines += [b.text, ""]
        elif b.kind == "table":
            lines.append("| " + " | ".join(b.header) + " |")
            lines.append("|" + "|".join("---" for _ in b.header) + "|")
            lines += ["| " + " | ".join(r) + " |" for r in b.rows]
            lines.append("")
        elif b.kind == "img":
            lines += [f"![{b.text}]({b.image})", "", f"*{b.text}*", ""]
    return "\n".join(lines)


_CSS = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.3em 0.6em; text-align: left; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f2f2f2; }
figure { margin: 1.5em 0; } img { max-width: 100%; } figcaption { color: #555; font-style: italic; }
p { line-height: 1.45; }
"""


def render_html(bs: Sequence[Block], figure_dir: Path) -> str:
    """HTML with every figure read from ``figure_dir`` and embedded as a base64 data URI."""
    e = html.escape
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>kegan evaluation report</title>", f"<style>{_CSS}</style></head><body>"]
    for b in bs:
        if b.kind in ("h1", "h2", "p"):
            parts.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "table":
            parts.append("<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in b.header) + "</tr></thead><tbody>")
            parts += ["<tr>" + "".join(_cell(c) for c in r) + "</tr>" for r in b.rows]
            parts.append("</tbody></table>")
        elif b.kind == "img":
            data = base64.b64encode((figure_dir / b.image).read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{e(b.text)}" src="data:image/png;base64,{data}">'
                         f"<figcaption>{e(b.text)}</figcaption></figure>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _cell(text: str) -> str:
    numeric = bool(_NUMERIC.match(text))
    return f'<td class="n">{html.escape(text)}</td>' if numeric else f"<td>{html.escape(text)}</td>"


_NUMERIC = re.compile(r"^[-+]?\d[\d.]*( ± [\d.]+)?$|^-$")


def text_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A plain aligned table for the terminal."""
    widths = [max(len(str(x)) for x in col) for col in zip(header, *rows, strict=True)]
    line = lambda cells: "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True)))  # noqa: E731
    return "\n".join([line(header), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])
