"""What the engine costs: one forward + backward of a small MLP, glassnet against NumPy by hand.

The model is the course's digit network at batch 32: 400 -> 25 (ReLU) -> 15 (ReLU) -> 10,
mean sparse softmax cross-entropy from logits. Both sides compute the same arithmetic
from the same float32 arrays, including every parameter's gradient; the hand-written side
is the floor the engine's bookkeeping (graph recording, topological order, gradient
routing) is measured against.

Run: ``python benchmarks/engine_overhead.py`` (or ``make bench``). Prints µs per step of
each side and their ratio (target: glassnet <= 1.5x the hand-written loop).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import glassnet as gn

BATCH, SIZES = 32, (400, 25, 15, 10)


def make_problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        limit = np.sqrt(6.0 / (fan_in + fan_out))  # Glorot uniform, as Keras's Dense
        params.append(rng.uniform(-limit, limit, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return x, y, params


def numpy_step(x, y, params):
    """Forward and backward written out by hand; returns the loss and the gradients."""
    W1, b1, W2, b2, W3, b3 = params
    n = len(y)
    rows = np.arange(n)
    z1 = x @ W1 + b1
    a1 = np.maximum(z1, 0)
    z2 = a1 @ W2 + b2
    a2 = np.maximum(z2, 0)
    z3 = a2 @ W3 + b3
    shifted = z3 - z3.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean()
    g3 = np.exp(log_probs)
    g3[rows, y] -= 1
    g3 /= n
    g2 = (g3 @ W3.T) * (z2 > 0)
    g1 = (g2 @ W2.T) * (z1 > 0)
    return loss, [x.T @ g1, g1.sum(0), a1.T @ g2, g2.sum(0), a2.T @ g3, g3.sum(0)]


def glassnet_step(x, y, variables):
    """The same step through the engine: ops record a graph, backward() walks it."""
    W1, b1, W2, b2, W3, b3 = variables
    for v in variables:
        v.grad = None
    a1 = gn.nn.relu(gn.matmul(x, W1) + b1)
    a2 = gn.nn.relu(gn.matmul(a1, W2) + b2)
    logits = gn.matmul(a2, W3) + b3
    loss = gn.mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    loss.backward()
    return loss, [v.grad for v in variables]


def glassnet_dense_step(x, y, variables):
    """The same step with the fused dense op (relu(x @ W + b) as one node), as Dense layers use it."""
    W1, b1, W2, b2, W3, b3 = variables
    for v in variables:
        v.grad = None
    a1 = gn.nn.dense(x, W1, b1, activation="relu")
    a2 = gn.nn.dense(a1, W2, b2, activation="relu")
    logits = gn.nn.dense(a2, W3, b3)
    loss = gn.mean(gn.nn.sparse_softmax_cross_entropy_with_logits(labels=y, logits=logits))
    loss.backward()
    return loss, [v.grad for v in variables]


def time_per_call(fn, repeats, rounds=7):
    """Median over ``rounds`` of the mean time per call, in microseconds."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
        samples.append((time.perf_counter() - start) / repeats * 1e6)
    return statistics.median(samples)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=2000)
    args = parser.parse_args(argv)

    x, y, params = make_problem()
    variables = [gn.Variable(p) for p in params]

    sides = {
        "NumPy by hand": lambda: numpy_step(x, y, params),
        "glassnet, fused dense+relu": lambda: glassnet_dense_step(x, y, variables),
        "glassnet, matmul + add ops": lambda: glassnet_step(x, y, variables),
    }
    loss_np, grads_np = numpy_step(x, y, params)
    for step in (glassnet_step, glassnet_dense_step):
        loss_gn, grads_gn = step(x, y, variables)
        assert np.allclose(float(loss_gn), loss_np, rtol=1e-5), (float(loss_gn), loss_np)
        for g_np, g_gn in zip(grads_np, grads_gn):
            assert np.allclose(g_gn.numpy(), g_np, rtol=1e-4, atol=1e-6)

    # Interleave the sides so machine load affects all alike; keep each side's best round.
    best = {name: float("inf") for name in sides}
    for _ in range(3):
        for name, fn in sides.items():
            best[name] = min(best[name], time_per_call(fn, args.repeats // 3))
    floor = best["NumPy by hand"]
    print(f"MLP {'-'.join(map(str, SIZES))}, batch {BATCH}, float32, one forward + backward")
    for name, us in best.items():
        print(f"  {name:<28}: {us:7.1f} us/step  {us / floor:5.2f}x")
    print("  target: glassnet <= 1.50x the hand-written NumPy")


if __name__ == "__main__":
    main()
