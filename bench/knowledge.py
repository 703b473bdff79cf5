"""TransE training time per epoch at the paper's graph scale, kegan (PyKEEN) vs a plain torch loop.

usage: python bench/knowledge.py [--entities 39598] [--devices 10187] [--triples 133075] [--relations 20]
                                 [--dim 128] [--epochs 2] [--threads 1,2]

The paper's graph (section 3.1) has 39,598 entities (10,187 devices), 133,075 triples and 20 relation
types. This builds a synthetic graph of that shape (devices as heads; each relation owns a slice of the
other entities with Zipf-like popularity; a few tail-to-tail facts), then times:
- kegan's ``train_transe`` (PyKEEN TransE, sLCWA, 8 negatives per positive as ``TransEConfig.num_negatives``
  sets, margin ranking loss, Adam, the settings ``kegan kg`` uses), per epoch, after one warm-up epoch
  (PyKEEN's set-up excluded);
- a minimal hand-written TransE epoch in torch with the same batch size, loss, optimiser, negatives and
  entity normalisation, as the plain reference.
for each torch thread count given. Timings on a shared machine are inflated by the other jobs' load.
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np
import pandas as pd
import torch

from kegan.knowledge.transe import TransEConfig, train_transe


def synthetic_graph(entities: int, devices: int, triples: int, relations: int, seed: int = 0) -> pd.DataFrame:
    """A deduplicated (head, relation, tail) frame with exactly the requested counts.

    Devices are the heads of object triples; each relation owns a slice of the other entities, sized
    unevenly like real ones (few manufacturers, many IPs), popular values drawn Zipf-like; one
    twentieth of the triples are tail-to-tail facts (like subdomain_of, made_by). Every entity is used.
    """
    rng = np.random.default_rng(seed)
    tails = entities - devices
    sizes = np.maximum((rng.dirichlet(np.full(relations, 0.6)) * (tails - 2 * relations)).astype(int), 0) + 2
    bounds = np.concatenate([[0], np.cumsum(sizes)])
    bounds[-1] = tails  # the last relation takes the rounding rest
    owner = np.searchsorted(bounds, np.arange(tails), side="right") - 1  # relation owning each tail entity
    # 1) every tail entity once, with a random device head; every device once, with a random tail
    rows = {(f"object:{h}", f"r{owner[e]}", f"e{e}") for h, e in zip(rng.integers(0, devices, tails), range(tails), strict=True)}
    for h, e in zip(range(devices), rng.integers(0, tails, devices), strict=True):
        rows.add((f"object:{h}", f"r{owner[e]}", f"e{e}"))
    second_level = triples // 20
    while len(rows) < triples - second_level:  # 2) popular values, Zipf-like within each relation's slice
        r = int(rng.integers(0, relations))
        span = bounds[r + 1] - bounds[r]
        e = bounds[r] + min(int(rng.zipf(1.6)) - 1, span - 1)
        rows.add((f"object:{int(rng.integers(0, devices))}", f"r{r}", f"e{e}"))
    while len(rows) < triples:  # 3) tail-to-tail facts
        a, b = rng.integers(0, tails, 2)
        rows.add((f"e{a}", f"r{owner[a]}", f"e{b}"))
    return pd.DataFrame(sorted(rows), columns=["head", "relation", "tail"])


def plain_transe_epoch(triples: pd.DataFrame, config: TransEConfig, seed: int = 0) -> float:
    """Seconds for one epoch of a minimal TransE loop (after one untimed warm-up batch)."""
    torch.manual_seed(seed)
    ent_index = {e: i for i, e in enumerate(pd.unique(pd.concat([triples["head"], triples["tail"]])))}
    rel_index = {r: i for i, r in enumerate(pd.unique(triples["relation"]))}
    h = torch.tensor(triples["head"].map(ent_index).to_numpy())
    r = torch.tensor(triples["relation"].map(rel_index).to_numpy())
    t = torch.tensor(triples["tail"].map(ent_index).to_numpy())
    ent = torch.nn.Embedding(len(ent_index), config.dim)
    rel = torch.nn.Embedding(len(rel_index), config.dim)
    torch.nn.init.xavier_uniform_(ent.weight)
    torch.nn.init.xavier_uniform_(rel.weight)
    opt = torch.optim.Adam(list(ent.parameters()) + list(rel.parameters()), lr=config.learning_rate)
    n_ent = len(ent_index)

    def step(idx: torch.Tensor) -> None:
        hb, rb, tb = h[idx], r[idx], t[idx]
        k = config.num_negatives
        corrupt = torch.randint(n_ent, (len(idx), k))  # (batch, k)
        head_side = torch.rand(len(idx), k) < 0.5
        nh = torch.where(head_side, corrupt, hb[:, None])
        nt = torch.where(head_side, tb[:, None], corrupt)
        pos = torch.linalg.vector_norm(ent(hb) + rel(rb) - ent(tb), ord=config.scoring_norm, dim=-1)  # (batch,)
        neg = torch.linalg.vector_norm(ent(nh) + rel(rb)[:, None] - ent(nt), ord=config.scoring_norm, dim=-1)
        loss = torch.relu(config.margin + pos[:, None] - neg).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        with torch.no_grad():
            ent.weight.copy_(torch.nn.functional.normalize(ent.weight, dim=-1))

    perm = torch.randperm(len(h))
    step(perm[: config.batch_size])  # warm-up
    started = time.perf_counter()
    for i in range(0, len(perm), config.batch_size):
        step(perm[i : i + config.batch_size])
    return time.perf_counter() - started


def kegan_epoch_seconds(triples: pd.DataFrame, config: TransEConfig, epochs: int) -> float:
    """Median wall seconds per epoch of kegan's TransE over ``epochs`` epochs after a warm-up epoch."""
    config = TransEConfig(**{**config.__dict__, "epochs": 1 + epochs})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        state = train_transe(triples, config, seed=0, device="cpu", progress=False)
    return float(np.median(state.epoch_seconds[1:]))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--entities", type=int, default=39598)
    ap.add_argument("--devices", type=int, default=10187)
    ap.add_argument("--triples", type=int, default=133075)
    ap.add_argument("--relations", type=int, default=20)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--epochs", type=int, default=2, help="timed epochs per measurement (after the warm-up)")
    ap.add_argument("--threads", default="1,2", help="torch thread counts to time, comma-separated")
    args = ap.parse_args()

    graph = synthetic_graph(args.entities, args.devices, args.triples, args.relations)
    n_ent = len(set(graph["head"]) | set(graph["tail"]))
    print(f"synthetic graph: {n_ent} entities, {len(graph)} triples, {graph['relation'].nunique()} relations; "
          f"dim {args.dim}; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}")
    for threads in [int(x) for x in args.threads.split(",")]:
        config = TransEConfig(dim=args.dim, cpu_threads=threads)
        torch.set_num_threads(threads)
        plain = plain_transe_epoch(graph, config)
        ours = kegan_epoch_seconds(graph, config, args.epochs)
        print(f"torch threads {threads}: kegan TransE (PyKEEN) {ours:.2f} s/epoch, plain torch loop {plain:.2f} s/epoch "
              f"(batch {config.batch_size}, {config.num_negatives} negatives, "
              f"{int(np.ceil(len(graph) / config.batch_size))} batches/epoch)")


if __name__ == "__main__":
    main()
