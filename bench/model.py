"""Speed and memory of KE-GAN: training steps/s and synthetic objects/s at M_max 200 and 500.

usage: .venv/bin/python bench/model.py [--iterations 10] [--samples 1000] [--threads N] [--device cpu]

Trains the default-size model (Algorithm 1 defaults: n_D = 5, batch 64) on a toy dataset of 256
objects whose lengths reach M_max, then samples. Each M_max runs in a fresh process, and its peak
memory is that process's maximum resident set when KE-GAN's training and sampling are done, before the
reference runs (and CUDA's peak allocation on a GPU), so no figure carries another run's peak.
Timings on a shared machine are inflated by the others' load.

Plain reference, same run, same data and same Algorithm 1 loop (n_D = 5, batch 64, WGAN-GP): the
naive-GAN baseline, an MLP generator that emits the whole series at once and an MLP critic. The ratio
says what KE-GAN's LSTM-with-attention series generator and its knowledge conditioning cost per step.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import time

import numpy as np
import torch

from kegan.baselines.naive_gan import NaiveGANGenerator
from kegan.dataset.toy import make_toy_dataset
from kegan.model import KEGAN, KEGANConfig


def bench(m_max: int, iterations: int, samples: int, threads: int | None, device: str) -> dict[str, float]:
    ds = make_toy_dataset(n_objects=256, n_categories=4, max_len=m_max, seed=0)
    emb = np.random.default_rng(0).normal(size=(len(ds), 32)).astype(np.float32)
    warm = KEGANConfig(M_max=m_max, iterations=2, num_threads=threads, device=device)
    model = KEGAN(warm).fit(ds, emb, progress=False)  # warm-up: allocator, kernels
    cfg = KEGANConfig(M_max=m_max, iterations=iterations, num_threads=threads, device=device)
    t = time.perf_counter()
    model = KEGAN(cfg).fit(ds, emb, progress=False)
    steps_per_s = iterations / (time.perf_counter() - t)
    model.sample(64, seed=0)
    t = time.perf_counter()
    syn = model.sample(samples, seed=1)
    objects_per_s = samples / (time.perf_counter() - t)
    peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KE-GAN's alone
    cuda_peak_mib = torch.cuda.max_memory_allocated() / 2**20 if device.startswith("cuda") else None
    ref = {"iterations": iterations, "batch_size": 64, "n_critic": 5, "num_threads": threads or 0}
    NaiveGANGenerator(seed=0, device=device, **{**ref, "iterations": 2}).fit(ds)  # warm-up
    t = time.perf_counter()
    NaiveGANGenerator(seed=0, device=device, **ref).fit(ds)
    ref_steps_per_s = iterations / (time.perf_counter() - t)
    return {"M_max": m_max, "train_steps_per_s": steps_per_s, "objects_per_s": objects_per_s,
            "reference_steps_per_s": ref_steps_per_s,
            "records_per_object": len(syn.records) / len(syn),
            "peak_rss_mib": peak_rss_mib, "cuda_peak_mib": cuda_peak_mib}


def bench_in_fresh_process(*args) -> dict[str, float]:
    """``bench(*args)`` in a new interpreter, so that its peak memory is its own."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(bench, args)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--iterations", type=int, default=10, help="generator steps timed per M_max")
    ap.add_argument("--samples", type=int, default=1000, help="synthetic objects timed per M_max")
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: the model's)")
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--m-max", type=int, nargs="+", default=[200, 500])
    args = ap.parse_args()
    print(f"torch {torch.__version__}, device {args.device}, threads {args.threads or 'default (1)'}")
    print(f"{'M_max':>6} {'train steps/s':>14} {'naive-GAN ref':>14} {'ratio':>6} {'objects/s':>10} "
          f"{'records/obj':>12} {'peak RSS MiB':>13}")
    for m in args.m_max:
        r = bench_in_fresh_process(m, args.iterations, args.samples, args.threads, args.device)
        print(f"{r['M_max']:>6} {r['train_steps_per_s']:>14.2f} {r['reference_steps_per_s']:>14.2f} "
              f"{r['train_steps_per_s'] / r['reference_steps_per_s']:>6.2f} {r['objects_per_s']:>10.1f} "
              f"{r['records_per_object']:>12.1f} {r['peak_rss_mib']:>13.0f}")
        if r["cuda_peak_mib"] is not None:
            print(f"{'':>6} CUDA peak allocated: {r['cuda_peak_mib']:.0f} MiB")


if __name__ == "__main__":
    main()
