"""Time per epoch of the MLP back-ends against a plain torch training loop, on 8×8 digits.

Run: ``.venv/bin/python benchmarks/bench_mlp.py [--epochs 20] [--hidden 128]
[--batch-size 32] [--dtype float32] [--threads 1]``

All runs train the same network (64 → hidden → 10, ReLU, softmax cross-entropy, Adam,
lr 1e-3) on the same 75 % training split and report the median wall time of one epoch
(after one warm-up epoch; the minimum over ``--repeats`` interleaved rounds, since the
machine may be shared), the test accuracy, and the ratio to the plain torch loop.
scikit-learn's ``MLPClassifier`` (same architecture and optimizer, its own defaults
otherwise) is timed over the whole fit. Targets: numpy ≤ 2× plain torch,
torch back-end ≤ 1.2× plain torch.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import torch
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from statnn import datasets
from statnn.nn.mlp import MLP


def plain_torch(X, y, Xte, yte, hidden, epochs, batch_size, dtype, seed):
    """The textbook loop: nn.Sequential, CrossEntropyLoss, torch.optim.Adam."""
    torch.manual_seed(seed)
    tdtype = torch.float32 if dtype == "float32" else torch.float64
    model = torch.nn.Sequential(
        torch.nn.Linear(X.shape[1], hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10)
    ).to(tdtype)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    Xt = torch.as_tensor(X, dtype=tdtype)
    yt = torch.as_tensor(y)
    rng = np.random.default_rng(seed)
    times = []
    for _ in range(epochs + 1):
        t0 = time.perf_counter()
        order = torch.as_tensor(rng.permutation(len(X)))
        for start in range(0, len(X), batch_size):
            idx = order[start : start + batch_size]
            loss = loss_fn(model(Xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    with torch.no_grad():
        acc = (model(torch.as_tensor(Xte, dtype=tdtype)).argmax(1).numpy() == yte).mean()
    return float(np.median(times[1:])), float(acc)


def statnn_mlp(X, y, Xte, yte, hidden, epochs, batch_size, dtype, seed, backend):
    """Per-epoch times of sn.MLP, read from a fit of ``epochs + 1`` epochs."""
    warnings.filterwarnings("ignore", message=".*stopped at max_iter")
    clf = MLP(
        hidden_layer_sizes=[hidden],
        max_iter=1,
        batch_size=batch_size,
        dtype=dtype,
        random_state=seed,
        backend=backend,
        tol=0.0,  # run every epoch asked for
        n_iter_no_change=10**9,
    )
    clf.fit(X, y)  # warm-up: imports, first allocations
    clf.set_params(max_iter=epochs + 1)
    t0 = time.perf_counter()
    clf.fit(X, y)
    per_epoch = (time.perf_counter() - t0) / (epochs + 1)
    return per_epoch, float(clf.score(Xte, yte))


def sklearn_mlp(X, y, Xte, yte, hidden, epochs, batch_size, seed):
    clf = MLPClassifier(
        hidden_layer_sizes=(hidden,),
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=batch_size,
        max_iter=epochs,
        n_iter_no_change=epochs + 1,
        random_state=seed,
    )
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    return (time.perf_counter() - t0) / clf.n_iter_, float(clf.score(Xte, yte))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    parser.add_argument("--threads", type=int, default=1, help="torch intra-op threads")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="interleaved rounds; min kept")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    X, y = datasets.digits()
    X, Xte, y, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    common = (X, y, Xte, yte, args.hidden, args.epochs, args.batch_size)

    runs = {
        "plain torch loop": lambda: plain_torch(*common, args.dtype, args.seed),
        "sn.MLP backend=numpy": lambda: statnn_mlp(*common, args.dtype, args.seed, "numpy"),
        "sn.MLP backend=torch": lambda: statnn_mlp(*common, args.dtype, args.seed, "torch"),
        "sklearn MLPClassifier": lambda: sklearn_mlp(*common, args.seed),
    }
    best = {name: (np.inf, 0.0) for name in runs}
    for _ in range(args.repeats):  # interleaved, so a busy spell hits every contender
        for name, run in runs.items():
            t, acc = run()
            best[name] = (min(best[name][0], t), acc)
    rows = [(name, t, acc) for name, (t, acc) in best.items()]
    ref = best["plain torch loop"][0]

    print(
        f"digits: {len(X)} train / {len(Xte)} test, 64 → {args.hidden} → 10, "
        f"batch {args.batch_size}, {args.epochs} epochs, {args.dtype}, "
        f"torch threads {args.threads}"
    )
    print(f"{'run':<26}{'ms / epoch':>12}{'× plain torch':>16}{'test acc':>10}")
    for name, t, acc in rows:
        print(f"{name:<26}{1e3 * t:>12.2f}{t / ref:>16.2f}{acc:>10.3f}")


if __name__ == "__main__":
    main()
