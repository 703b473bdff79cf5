"""How KE-GAN's fidelity moves with its training budget on a real dataset (docs/model.md's budget table).

usage: .venv/bin/python bench/model_budget.py DATASET [--steps 0 1000 2000 4000 6000] [--split 0.7]
       [--seed 0] [--sample-seeds 0 1] [--set category_loss_weight=0 ...] [--device cpu]

DATASET is a kegan dataset with embeddings (`kegan ingest` then `kegan kg`). With --split F the model
trains on the seeded stratified F part (as `make demo` does; F = 1 trains on everything). One training
run continues from its checkpoint to each budget in --steps (bit-identical to one long run), and at
each budget prints: cumulative CPU and wall seconds of this process, the evaluate stage's JSD (C, M,
A, P, L against the training part, bins fixed by the full dataset) averaged over --sample-seeds
(each sample as large as the training part), the categories each sample holds out of the real ones,
the range of lengths, category agreement (samples whose category is that of the object whose K
conditioned them) and the critic's Wasserstein estimate. Budget 0 is the same model untrained: the
plain reference every trained budget must beat.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from kegan.dataset import read_dataset, split_objects
from kegan.evaluate import BinEdges, fidelity
from kegan.knowledge.embeddings_io import read_embeddings
from kegan.model import KEGAN, KEGANConfig
from kegan.model.agreement import category_agreement


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def parse_set(items: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in items:
        key, _, value = item.partition("=")
        out[key] = None if value == "None" else type(getattr(KEGANConfig(), key) or 0.0)(value)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dataset", type=Path)
    ap.add_argument("--steps", type=int, nargs="+", default=[0, 1000, 2000, 4000, 6000])
    ap.add_argument("--split", type=float, default=0.7, help="training fraction (1 = all objects)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--sample-seeds", type=int, nargs="+", default=[0, 1])
    ap.add_argument("--set", nargs="*", default=[], metavar="NAME=VALUE", help="KEGANConfig overrides")
    ap.add_argument("--device", default="cpu")
    args = ap.parse_args()

    t0, c0 = time.perf_counter(), cpu_seconds()
    full = read_dataset(args.dataset)
    train = full if args.split >= 1 else full.subset(split_objects(full, args.split, seed=args.seed)[0])
    _, emb = read_embeddings(args.dataset, train.device_ids)
    edges = BinEdges.from_real(full)
    overrides = parse_set(args.set)
    real_categories = set(train.category_names)
    print(f"{args.dataset}: training on {len(train)} of {len(full)} objects, {len(real_categories)} categories; "
          f"settings: defaults{''.join(f', {k}={v}' for k, v in overrides.items())}; device {args.device}")
    print(f"{'iterations':>10} {'CPU s':>7} {'wall s':>7} {'C':>6} {'M':>6} {'A':>6} {'P':>6} {'L':>6} "
          f"{'categories':>10} {'M range':>9} {'agreement':>9} {'W':>6}  missing")
    with tempfile.TemporaryDirectory() as tmp:
        ckpt = Path(tmp) / "ckpt"
        for steps in sorted(args.steps):
            cfg = KEGANConfig(iterations=steps, seed=args.seed, device=args.device, **overrides)
            model = KEGAN(cfg).fit(train, emb, checkpoint_dir=ckpt, resume=True, progress=False)
            dists, cats, lo, hi, missing = [], [], [], [], set()
            for s in args.sample_seeds:
                syn = model.sample(len(train), seed=s)
                dists.append(fidelity(train, syn, edges))
                cats.append(str(len(set(syn.categories) & real_categories)))
                missing |= real_categories - set(syn.categories)
                lo.append(int(syn.lengths().min()))
                hi.append(int(syn.lengths().max()))
            mean = {k: float(np.mean([d[k] for d in dists])) for k in "CMAPL"}
            agree = category_agreement(model, train, emb, n=len(train), seed=0)
            w = model.history_[-1]["wasserstein"] if model.history_ else float("nan")
            print(f"{model.n_iter_:>10} {cpu_seconds() - c0:>7.0f} {time.perf_counter() - t0:>7.0f} "
                  + " ".join(f"{mean[k]:>6.3f}" for k in "CMAPL")
                  + f" {', '.join(cats):>10} {f'{min(lo)}-{max(hi)}':>9} {agree:>9.3f} {w:>6.2f}  "
                  + (", ".join(sorted(missing)) or "-"), flush=True)
    print(f"M_max {model.M_max_}; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
