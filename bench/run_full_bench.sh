#!/usr/bin/env bash
# The full bench on the IoT Sentinel captures: every generator, 8 min per neural generator, Figure 5
# with 3 repeats of 2 min runs. About 2 hours on 2 CPU cores. Run from the repository root:
#
#   bash bench/run_full_bench.sh                 # writes runs/bench-sentinel/{dataset,bench}
#   bash bench/run_full_bench.sh runs/my-bench   # another output folder
#   DEVICE=cuda SEED=1 bash bench/run_full_bench.sh
#   MINUTES=3 FIG5_MINUTES=1 FIG5_REPEATS=2 bash bench/run_full_bench.sh runs/bench-short   # shorter budgets
#
# The dataset and its knowledge embeddings are built once and reused on a rerun.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${SENTINEL:-$ROOT/../shared/data/iot-sentinel}"
OUT="${1:-runs/bench-sentinel}"
SEED="${SEED:-0}"
DEVICE="${DEVICE:-auto}"
MINUTES="${MINUTES:-8}"
FIG5_MINUTES="${FIG5_MINUTES:-2}"
FIG5_REPEATS="${FIG5_REPEATS:-3}"
KEGAN="$ROOT/.venv/bin/kegan"

if [ ! -f "$OUT/dataset/dataset.json" ]; then
    "$KEGAN" ingest "$DATA/captures" --devices "$DATA/devices.csv" --out "$OUT/dataset"
fi
if [ ! -f "$OUT/dataset/embeddings.parquet" ]; then
    "$KEGAN" kg "$OUT/dataset" --seed "$SEED" --device "$DEVICE"
fi
time "$KEGAN" bench "$OUT/dataset" --out "$OUT/bench" --seed "$SEED" --device "$DEVICE" \
    --minutes "$MINUTES" --fig5-minutes "$FIG5_MINUTES" --fig5-repeats "$FIG5_REPEATS"
