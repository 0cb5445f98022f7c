"""One training step with and without glassnet's compiled kernels, side by side in one process.

Builds one of the suite's workloads (``benchmarks/workloads.py``), records its step, then
times the same step on the same batch with the kernels on and off in alternating rounds,
and prints the fastest time of each (on a host whose speed drifts, the fastest of many
interleaved rounds compares like with like). It also checks that both give the same
weights, bit for bit, after the same steps from the same start.

Run: ``python benchmarks/kernels_ab.py digits [--rounds 40]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import timeit

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402

import glassnet as gn  # noqa: E402
import peers  # noqa: E402
import workloads  # noqa: E402
from glassnet import kernels  # noqa: E402


def _model(spec):
    gn.random.set_seed(0)
    model = peers._keras_model(spec, workloads.initial_weights(spec), gn)
    loss = (gn.keras.losses.BinaryCrossentropy() if spec["loss"] == workloads.BINARY
            else gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(loss=loss, optimizer=gn.keras.optimizers.Adam(spec["learning_rate"]))
    return model


def _weights_after(spec, x, y, native, steps=3):
    previous = kernels.use_native(native)
    try:
        model, batch = _model(spec), spec["batch"]
        step = model.make_train_function()
        for i in range(steps):
            step(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch])
        return [w.tobytes() for w in model.get_weights()]
    finally:
        kernels.use_native(previous)


def compare(name: str, rounds: int) -> dict:
    """The fastest step time in seconds with the kernels on and off, and whether the
    weights agree bit for bit."""
    spec = workloads.WORKLOADS[name]
    x, y = workloads.make_data(name, 0.05)
    same = _weights_after(spec, x, y, True) == _weights_after(spec, x, y, False)
    model = _model(spec)
    batch_x, batch_y = x[:spec["batch"]], y[:spec["batch"]]
    step = model.make_train_function()
    step(batch_x, batch_y)  # records the step
    number = 200 if "filters" not in spec and spec["batch"] <= 32 else 3
    best = {True: np.inf, False: np.inf}
    previous = kernels.native is not None
    try:
        for _ in range(rounds):
            for native in (True, False):
                kernels.use_native(native)
                best[native] = min(best[native], timeit.timeit(lambda: step(batch_x, batch_y), number=number) / number)
    finally:
        kernels.use_native(previous)
    return {"with": best[True], "without": best[False], "same_weights": same}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--rounds", type=int, default=40, help="alternating rounds (default 40)")
    args = parser.parse_args(argv)
    if not kernels.available():
        print("glassnet was built without its compiled kernels: nothing to compare")
        return
    result = compare(args.workload, args.rounds)
    print(f"{args.workload}: one step {result['with'] * 1e6:.1f} us with the kernels, "
          f"{result['without'] * 1e6:.1f} us without ({result['with'] / result['without']:.2f}x); "
          f"weights after 3 steps {'identical' if result['same_weights'] else 'DIFFERENT'}")


if __name__ == "__main__":
    main()
