"""The seeds' N + P claim, measured: one backward pass against P finite differences.

The seeds say backprop gets every derivative of a graph with N nodes and P parameters
in about N + P steps, where nudging each parameter in turn, (J(w + eps) - J(w)) / eps,
takes one forward pass per parameter: about N * P steps. This script times both on
MLPs of growing width (10 -> h -> h -> 1, tanh, mean squared error, a batch of 32, in
float64 so the finite differences mean something):

- backprop: one forward pass with ``training=True``, the loss, ``backward()``;
- finite differences: P forward-only evaluations of the loss, each with one weight
  nudged (the one-sided form also needs J(w) once; the central form needs 2P). Up to
  ``--measure-up-to`` parameters every evaluation is run and timed; above that a sample
  of ``--sample`` evaluations is timed. Evaluations are timed in chunks and the median
  time per evaluation is multiplied by P, so a stall of a shared machine is not counted
  P times; the "nudges" column says how many were run.

For the smallest network the finite-difference gradient is also compared with
backprop's, to show both compute the same numbers.

Run: ``python benchmarks/backprop_vs_finite_differences.py`` (about a minute).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time

# One BLAS thread unless told otherwise: these matrices are small, and threads spinning up
# on a busy machine cost more than they save, which made timings jump by 100x. Both sides
# run on the same single thread, so the ratio is fair.
for _name in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import numpy as np  # noqa: E402  (after the thread settings, which BLAS reads when loaded)

import glassnet as gn  # noqa: E402
from glassnet.autograd import topological_order  # noqa: E402
from glassnet.keras import Sequential  # noqa: E402
from glassnet.keras.layers import Dense  # noqa: E402

INPUTS, BATCH = 10, 32


def make_model(width, seed=0):
    gn.random.set_seed(seed)
    model = Sequential([gn.keras.Input(shape=(INPUTS,)), Dense(width, activation="tanh", dtype="float64"),
                        Dense(width, activation="tanh", dtype="float64"), Dense(1, dtype="float64")])
    model.compile(loss="mse", optimizer="sgd")
    return model


def loss_of(model, x, y):
    return model.loss(y, model(x, training=True))


def backprop_seconds(model, x, y, repeats):
    """Median time of one forward + loss + backward (after a warm-up); also the graph's op count."""
    times = []
    for i in range(repeats + 5):
        for w in model.trainable_weights:
            w.grad = None
        start = time.perf_counter()
        loss = loss_of(model, x, y)
        loss.backward()
        if i >= 5:  # the first calls warm up caches and BLAS threads
            times.append(time.perf_counter() - start)
    nodes = len(topological_order(loss_of(model, x, y)))
    return statistics.median(times), nodes


def finite_difference_seconds(model, x, y, eps, limit, rng, chunk=25):
    """Seconds for P one-sided finite differences, and the gradient they give (None when sampled).

    Up to ``limit`` parameters every nudge is evaluated; above, ``limit`` random ones. The
    evaluations are timed in chunks, and the median time per evaluation times P is reported,
    so a stall of a shared machine does not count P times.
    """
    weights = model.trainable_weights
    sizes = [w.data.size for w in weights]
    total = sum(sizes)
    offsets = np.cumsum([0] + sizes)
    picks = np.arange(total) if total <= limit else rng.choice(total, size=limit, replace=False)
    gradient = np.zeros(total) if total <= limit else None
    per_evaluation = []
    with gn.no_grad():
        base = float(loss_of(model, x, y))
        for _ in range(5):
            loss_of(model, x, y)  # warm-up
        for first in range(0, len(picks), chunk):
            part = picks[first:first + chunk]
            start = time.perf_counter()
            for flat in part:
                k = int(np.searchsorted(offsets, flat, side="right") - 1)
                values = weights[k].data.reshape(-1)  # a view: nudging it nudges the weight
                index = flat - offsets[k]
                saved = values[index]
                values[index] = saved + eps
                nudged = float(loss_of(model, x, y))
                values[index] = saved
                if gradient is not None:
                    gradient[flat] = (nudged - base) / eps
            per_evaluation.append((time.perf_counter() - start) / len(part))
    return statistics.median(per_evaluation) * total, len(picks) == total, gradient


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[5, 16, 50, 100, 150, 310])
    parser.add_argument("--repeats", type=int, default=20, help="backward passes timed (median)")
    parser.add_argument("--measure-up-to", type=int, default=5000,
                        help="run every finite difference up to this many parameters, else sample")
    parser.add_argument("--sample", type=int, default=500, help="finite differences timed when sampling")
    args = parser.parse_args(argv)

    rng = np.random.default_rng(0)
    x = rng.normal(size=(BATCH, INPUTS))
    y = rng.normal(size=(BATCH, 1))
    print(f"glassnet {gn.__version__}, NumPy {np.__version__}, Python {platform.python_version()}, "
          f"{platform.machine()}, BLAS threads {os.environ['OPENBLAS_NUM_THREADS']}; "
          f"MLP {INPUTS} -> h -> h -> 1, tanh, mse, batch {BATCH}, float64\n")
    header = (f"{'width':>5} {'P':>8} {'N ops':>6} {'backprop':>11} {'P finite diffs':>14}  "
              f"{'nudges':<8} {'FD/backprop':>13}")
    print(header)
    print("-" * len(header))
    for width in args.widths:
        model = make_model(width)
        P = model.count_params()
        backprop, nodes = backprop_seconds(model, x, y, args.repeats)
        limit = P if P <= args.measure_up_to else args.sample
        fd, full, fd_gradient = finite_difference_seconds(model, x, y, 1e-6, limit, rng)
        how = "all run" if full else f"{args.sample} run"
        print(f"{width:>5} {P:>8,} {nodes:>6} {backprop * 1e3:>8.3f} ms {fd:>12.3f} s  {how:<8} "
              f"{fd / backprop:>12,.0f}x")
        if fd_gradient is not None and width == args.widths[0]:
            for w in model.trainable_weights:
                w.grad = None
            loss_of(model, x, y).backward()
            analytic = np.concatenate([w.grad.numpy().ravel() for w in model.trainable_weights])
            error = np.max(np.abs(analytic - fd_gradient)) / np.max(np.abs(analytic))
            print(f"{'':>22}(the same gradient: max |backprop - FD| / max |grad| = {error:.1e})")
    print("\nbackprop's cost grows like N + P (one pass); finite differences like P times a forward "
          "pass, so the ratio grows with P.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
