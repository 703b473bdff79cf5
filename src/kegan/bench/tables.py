"""The paper's tables (2, 3, 4) and Figure 4, from a bench result, in Markdown and HTML.

A ``Table`` holds rows of cells; a cell is a float (ranked), a string ("-", "failed", "0.12 ± 0.01":
shown as is, never ranked) or None ("-"). In each column the best value among ranked rows is bold and
the second best underlined (lower is better for distances, higher for accuracy), on the values as
printed (4 decimals), so that rows that print the same get the same mark.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import Any

DIGITS = 4
JSD_COLUMNS = [
    ("C", "Category"),
    ("M", "Series length"),
    ("A", "Arrival time interval"),
    ("P", "Packet number"),
    ("L", "Average packet length"),
]
TSTR_ORDER = ["SVM", "kNN", "LR", "RF", "MLP", "NB"]  # the keys of kegan.evaluate.tstr, paper order

Cell = float | str | None


@dataclass
class Row:
    label: str
    cells: list[Cell]
    ranked: bool = True


@dataclass
class Table:
    title: str
    corner: str
    columns: list[str]
    rows: list[Row]
    higher_is_better: bool = False
    notes: list[str] = field(default_factory=list)


def marks(values: list[Cell], ranked: list[bool], higher_is_better: bool) -> list[str]:
    """'best', 'second' or '' per value: dense ranking of the printed (rounded) numbers.

    Only floats in ranked rows compete; ties share a mark; NaN never wins.
    """
    nums = [
        round(v, DIGITS) if ok and isinstance(v, float) and v == v else None
        for v, ok in zip(values, ranked, strict=True)
    ]
    distinct = sorted({v for v in nums if v is not None}, reverse=higher_is_better)
    best = distinct[0] if distinct else None
    second = distinct[1] if len(distinct) > 1 else None
    out = []
    for v in nums:
        out.append("best" if v is not None and v == best else "second" if v is not None and v == second else "")
    return out


def _text(cell: Cell) -> str:
    if cell is None:
        return "–"
    if isinstance(cell, float):
        return "nan" if cell != cell else f"{cell:.{DIGITS}f}"
    return str(cell)


def _column_marks(table: Table) -> list[list[str]]:
    """marks[row][col]."""
    per_col = [
        marks([r.cells[j] for r in table.rows], [r.ranked for r in table.rows], table.higher_is_better)
        for j in range(len(table.columns))
    ]
    return [[per_col[j][i] for j in range(len(table.columns))] for i in range(len(table.rows))]


def to_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table; best ``**x**``, second ``<u>x</u>`` (as the paper's text)."""
    lines = [f"**{table.title}**", "", "| " + " | ".join([table.corner, *table.columns]) + " |"]
    lines.append("|" + "---|" + "---:|" * len(table.columns))
    for row, row_marks in zip(table.rows, _column_marks(table), strict=True):
        cells = []
        for cell, mk in zip(row.cells, row_marks, strict=True):
            t = _text(cell)
            cells.append(f"**{t}**" if mk == "best" else f"<u>{t}</u>" if mk == "second" else t)
        lines.append("| " + " | ".join([row.label, *cells]) + " |")
    lines += [""] + [f"{n}  " for n in table.notes]
    return "\n".join(lines).rstrip() + "\n"


def to_html(table: Table) -> str:
    """An HTML table; best ``<b>``, second ``<u>``."""
    esc = html.escape
    head = "".join(f"<th>{esc(c)}</th>" for c in [table.corner, *table.columns])
    body = []
    for row, row_marks in zip(table.rows, _column_marks(table), strict=True):
        tds = [f"<th>{esc(row.label)}</th>"]
        for cell, mk in zip(row.cells, row_marks, strict=True):
            t = esc(_text(cell))
            t = f"<b>{t}</b>" if mk == "best" else f"<u>{t}</u>" if mk == "second" else t
            tds.append(f"<td>{t}</td>")
        cls = "" if row.ranked else ' class="ref"'
        body.append(f"<tr{cls}>{''.join(tds)}</tr>")
    notes = "".join(f"<p class='note'>{esc(n)}</p>" for n in table.notes)
    return (
        f"<h3>{esc(table.title)}</h3><table><thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{notes}"
    )


# -- tables from a bench result --------------------------------------------------------------------
def _spread(stat: Any) -> str | None:
    if isinstance(stat, dict) and "mean" in stat:
        return f"{float(stat['mean']):.{DIGITS}f} ± {float(stat.get('std', 0.0)):.{DIGITS}f}"
    return None


def _generator_rows(result: dict[str, Any], key: str, cols: list[str], hide_category: bool) -> list[Row]:
    rows = []
    for name, g in result["generators"].items():
        if g.get("status") != "ok" or key not in g:
            rows.append(Row(g.get("display", name), ["failed"] * len(cols), ranked=False))
            continue
        cells: list[Cell] = []
        for c in cols:
            v = g[key].get(c)
            if c == "C" and hide_category and g.get("category_from_real"):
                v = None
            cells.append(float(v) if v is not None else None)
        rows.append(Row(g.get("display", name), cells))
    return rows


def jsd_table(result: dict[str, Any], against: str, categorized: bool) -> Table:
    """Table 2 (``categorized=False``) or Table 3 against ``against`` = 'train' or 'heldout'."""
    cols = [(k, lab) for k, lab in JSD_COLUMNS if not (categorized and k == "C")]
    key = ("categorized_" if categorized else "fidelity_") + against
    rows = _generator_rows(result, key, [k for k, _ in cols], hide_category=True)
    floor = result.get("floor", {})
    # floor() keys: C, M, A, P, L (overall) and cat_M ... cat_L (categorized)
    floor_cells: list[Cell] = [_spread(floor.get(f"cat_{k}" if categorized else k)) for k, _ in cols]
    if any(c is not None for c in floor_cells):
        rows.append(Row("Floor (real vs real)", floor_cells, ranked=False))
    part = "training part (as the paper)" if against == "train" else "held-out part"
    number = ("3" if categorized else "2") + ("" if against == "train" else "b")
    name = f"Table {number}: " + ("categorized JSD" if categorized else "JSD")
    notes = ["Lower is better. Bold: best, underlined: second best. Floor: the same distance between "
             "two halves of the real data (mean ± std over seeds); no generator can be expected to beat it."]
    if not categorized:
        notes.append("AR and HMM draw the category from the real data, so their category JSD is not shown.")
    return Table(f"{name} between the real {part} and each generator's data", "JSD",
                 [lab for _, lab in cols], rows, higher_is_better=False, notes=notes)


def tstr_table(result: dict[str, Any], measure: str = "accuracy") -> Table:
    """Table 4: classifiers trained on each dataset, tested on the real held-out part; real row first."""
    real = result["real"]["tstr"]
    clfs = [c for c in TSTR_ORDER if c in real] + [c for c in real if c not in TSTR_ORDER]
    rows = [Row("Real", [float(real[c][measure]) for c in clfs])]
    for name, g in result["generators"].items():
        if g.get("status") != "ok" or "tstr" not in g:
            rows.append(Row(g.get("display", name), ["failed"] * len(clfs), ranked=False))
            continue
        rows.append(Row(g.get("display", name), [float(g["tstr"][c][measure]) if c in g["tstr"] else None
                                                 for c in clfs]))
    label = "Accuracy" if measure == "accuracy" else "Macro-F1"
    number = "4" if measure == "accuracy" else "4b"
    return Table(f"Table {number}: {label.lower()} of category classifiers trained on each dataset, tested on the "
                 "real held-out part", label, clfs, rows, higher_is_better=True,
                 notes=["Higher is better. Bold: best, underlined: second best (the real row competes, as "
                        "in the paper)."])


def _mb(v: Any) -> Cell:
    return None if v is None else f"{float(v):.1f}"


def resources_table(result: dict[str, Any]) -> Table:
    """Training time, sampling time, budget, peak memory and status per generator (not ranked)."""
    rows = []
    for name, g in result["generators"].items():
        secs = [g.get("train_seconds"), g.get("sample_seconds")]
        cells: list[Cell] = [None if s is None else f"{s:.1f}" for s in secs]
        budget = g.get("max_minutes")
        cells.append("none" if budget is None else f"{budget:g}")
        cells += [_mb(g.get("fit_peak_rss_mb")), _mb(g.get("fit_peak_cuda_mb"))]
        report = g.get("fit_report") or {}
        steps, unit = report.get("steps_done"), report.get("steps_unit")
        cells.append(None if steps is None else f"{steps} {unit}" if unit and unit != "iterations" else str(steps))
        hit = report.get("stopped_by_budget")
        cells.append(None if hit is None else ("yes" if hit else "no"))
        cells.append(_agreement_text(g.get("category_agreement")))
        cells.append("ok" if g.get("status") == "ok" else f"failed at {g.get('failed_at')}: {g.get('error', '')}"[:120])
        rows.append(Row(g.get("display", name), cells, ranked=False))
    return Table("Cost of each generator", "Generator",
                 ["Train s", "Sample s", "Budget min", "Fit peak RSS MB", "Fit peak CUDA MB", "Steps",
                  "Budget hit", "Category agreement", "Status"], rows,
                 notes=[f"Peak memory: {result.get('memory_method', '')}. Generators run one after another in one "
                        "process and memory one frees may serve the next, so each figure is what that step added: "
                        "a lower bound on what it needs alone.",
                        "Steps: generator iterations unless another unit is named (the LSTM counts epochs)."])


def _agreement_text(agr: Any) -> Cell:
    if agr is None:
        return None
    if isinstance(agr, int | float):
        return f"{float(agr):.{DIGITS}f}"
    if isinstance(agr, dict):
        for k in ("agreement", "value", "accuracy", "mean"):
            if isinstance(agr.get(k), int | float):
                return f"{float(agr[k]):.{DIGITS}f}"
    return str(agr)[:40]


def counts_table(result: dict[str, Any]) -> Table:
    """Figure 4 as numbers: objects per category in the real training part and each generator's data."""
    real = result["real"]["category_counts_train"]
    cats = list(real)
    for g in result["generators"].values():
        cats += [c for c in g.get("category_counts", {}) if c not in cats]
    rows = [Row("Real (training part)", [str(real.get(c, 0)) for c in cats], ranked=False)]
    for name, g in result["generators"].items():
        if g.get("status") == "ok" and "category_counts" in g:
            rows.append(Row(g.get("display", name), [str(g["category_counts"].get(c, 0)) for c in cats], ranked=False))
    return Table("Figure 4 (numbers): objects per category", "Objects", cats, rows)


def privacy_table(result: dict[str, Any]) -> Table | None:
    """Privacy measures of each generator's data, flattened from the evaluate stage's output."""
    keys: list[str] = []
    flat: dict[str, dict[str, Any]] = {}
    for name, g in result["generators"].items():
        if g.get("status") != "ok" or not isinstance(g.get("privacy"), dict):
            continue
        f = _flatten(g["privacy"])
        flat[name] = f
        # the sample sizes (n_*) stay in bench.json; the table shows the measures
        keys += [k for k in f if k not in keys and not k.startswith("n_")]
    if not flat:
        return None
    rows = []
    for name, f in flat.items():
        cells: list[Cell] = [f"{f[k]:.{DIGITS}f}" if isinstance(f.get(k), float) else
                             (None if f.get(k) is None else str(f[k])) for k in keys]
        rows.append(Row(result["generators"][name].get("display", name), cells, ranked=False))
    return Table("Privacy: copies and closeness to the training part", "Generator", keys, rows,
                 notes=["share_identical*: share of synthetic series identical to a real one (above 0: verbatim "
                        "copies). share_closer_to_train near 0.5: no sign of copying. dcr_*: median distance to the "
                        "closest training object of synthetic and of held-out real objects (docs/evaluate.md)."])


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif isinstance(v, int | float | str | bool) or v is None:
            out[f"{prefix}{k}"] = float(v) if isinstance(v, float) else v
    return out


def figure5_table(result: dict[str, Any]) -> Table | None:
    """Figure 5 as numbers: mean ± std of each distance per variant and sampling rate."""
    fig = result.get("figure5") or {}
    summary = fig.get("summary") or {}
    if not summary:
        return None
    rows = []
    for variant, by_frac in summary.items():
        for frac, stats in by_frac.items():
            cells: list[Cell] = [_spread(stats.get(k)) for k, _ in JSD_COLUMNS]
            rows.append(Row(f"{display_name_of(variant)} @ {float(frac):.0%}", cells, ranked=False))
    return Table("Figure 5 (numbers): JSD to the full real data by training-set sampling rate", "Run",
                 [lab for _, lab in JSD_COLUMNS], rows,
                 notes=[f"Mean ± std over {fig.get('repeats')} repeat(s), {fig.get('minutes')} min each."])


def display_name_of(name: str) -> str:
    from .protocol import display_name

    return display_name(name)


def all_tables(result: dict[str, Any]) -> list[Table]:
    """Every table of the report, in report order."""
    tables = [
        jsd_table(result, "train", categorized=False),
        jsd_table(result, "heldout", categorized=False),
        jsd_table(result, "train", categorized=True),
        jsd_table(result, "heldout", categorized=True),
        tstr_table(result, "accuracy"),
        tstr_table(result, "macro_f1"),
        resources_table(result),
        counts_table(result),
    ]
    for t in (privacy_table(result), figure5_table(result)):
        if t is not None:
            tables.append(t)
    return tables


def plot_figure4(result: dict[str, Any], path: Any) -> Any:
    """The paper's Figure 4: objects per category, real training part and each generator, grouped bars.

    Returns ``path`` (a PNG).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    table = counts_table(result)
    cats = table.columns
    series = [(r.label, [int(c) for c in r.cells]) for r in table.rows]  # type: ignore[arg-type]
    width = 0.8 / max(len(series), 1)
    x = np.arange(len(cats))
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(cats) + 2) + 2.2, 3.6))
    cmap = plt.get_cmap("tab10")
    for i, (label, counts) in enumerate(series):
        ax.bar(x + (i - (len(series) - 1) / 2) * width, counts, width, label=label,
               color="black" if i == 0 else cmap((i - 1) % 10))
    ax.set_xticks(x)
    ax.set_xticklabels(cats, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("objects")
    ax.set_yscale("symlog", linthresh=1)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: bars stay visible
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
