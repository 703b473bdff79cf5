"""Plain-words lines on which real categories a synthetic dataset lacks or under-represents."""

from __future__ import annotations

from typing import Any


def category_coverage(metrics: dict[str, Any]) -> list[str]:
    """From evaluate()'s metrics: a line naming missing categories (or saying all are present) and one
    naming categories whose synthetic share is under half their real share."""
    real_share = metrics.get("stats", {}).get("real", {}).get("category_share", {})
    syn_share = metrics.get("stats", {}).get("synthetic", {}).get("category_share", {})
    missing = sorted(c for c in real_share if not syn_share.get(c))
    lines = [f"warning: real categories missing from the synthetic data: {', '.join(missing)}" if missing
             else f"every real category is present ({len(real_share)})"]
    rare = [f"{c} {syn_share[c]:.1%} vs {r:.1%} real" for c, r in sorted(real_share.items())
            if syn_share.get(c) and syn_share[c] < r / 2]
    if rare:
        lines.append(f"under-represented (less than half the real share): {'; '.join(rare)}")
    return lines
