"""Trainers for the CPU baselines without an autodiff engine: NumPy by hand, scikit-learn.

Same contract as ``peers.py``: ``train_*(spec, x, y, weights, epochs, threads)`` returns
``(epoch_times, outputs, extra)``. Both handle the dense workloads only (no conv layers).

- ``numpy``: the forward pass, the hand-derived backward pass and Adam written directly in
  NumPy, float32 throughout. It is the floor for "NumPy plus Python per step": what
  glassnet would cost with zero engine overhead (no graph, no tape, no checks).
- ``scikit-learn``: ``MLPClassifier(solver="adam")``, one ``partial_fit`` call per epoch
  (each call is exactly one shuffled pass over the data). Its output layer is fixed by
  the task: softmax for several classes, one logistic unit for two, which is what the
  workloads use anyway. It draws its own initial weights (its initialiser cannot be handed
  ours through the public API), so its accuracy starts from a different point; that is
  accepted, and its row says so.
"""

from __future__ import annotations

import math
import time

import numpy as np

from workloads import BINARY, PREDICT_BATCH

BETA_1, BETA_2, EPSILON = 0.9, 0.999, 1e-7  # Keras's Adam defaults


def _sigmoid(z):
    return 1 / (1 + np.exp(-z))


def _forward(params, acts, x):
    """Every layer's output, input first. The last layer's activation is left off: the
    loss gradient below is taken with respect to the last pre-activation (logits)."""
    hs = [x]
    for i, act in enumerate(acts):
        z = hs[-1] @ params[2 * i]
        z += params[2 * i + 1]
        if i < len(acts) - 1:
            if act == "relu":
                np.maximum(z, 0, out=z)
            elif act == "sigmoid":
                z = _sigmoid(z)
        hs.append(z)
    return hs


def _gradients(params, acts, loss, xb, yb):
    """Mean-loss gradients for each parameter, in ``params`` order."""
    hs = _forward(params, acts, xb)
    logits, b = hs[-1], len(xb)
    if loss == BINARY:  # d(BCE(sigmoid(z)))/dz = sigmoid(z) - y
        delta = _sigmoid(logits) - yb
    else:  # d(softmax cross-entropy)/dz = softmax(z) - one_hot(y)
        delta = np.exp(logits - logits.max(axis=1, keepdims=True))
        delta /= delta.sum(axis=1, keepdims=True)
        delta[np.arange(b), yb] -= 1
    delta /= b
    grads = [None] * len(params)
    for i in range(len(acts) - 1, -1, -1):
        grads[2 * i] = hs[i].T @ delta
        grads[2 * i + 1] = delta.sum(axis=0)
        if i:  # through the previous layer's activation, read off its output
            delta = delta @ params[2 * i].T
            h = hs[i]
            delta *= (h > 0) if acts[i - 1] == "relu" else h * (1 - h) if acts[i - 1] == "sigmoid" else 1
    return grads


def train_numpy(spec, x, y, weights, epochs, threads):
    acts, batch, lr = spec["activations"], spec["batch"], spec["learning_rate"]
    params = [w.copy() for w in weights]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    rng, t, times = np.random.default_rng(0), 0, []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(len(x))
        xs, ys = x[order], y[order]
        for i in range(0, len(xs), batch):
            grads = _gradients(params, acts, spec["loss"], xs[i:i + batch], ys[i:i + batch])
            t += 1
            # Keras's form of Adam: bias corrections folded into the step size. math.sqrt
            # keeps it a Python float; a NumPy float64 scalar would promote the arrays.
            step = lr * math.sqrt(1 - BETA_2 ** t) / (1 - BETA_1 ** t)
            for p, g, m_, v_ in zip(params, grads, m, v):
                m_ *= BETA_1
                m_ += (1 - BETA_1) * g
                v_ *= BETA_2
                v_ += (1 - BETA_2) * (g * g)
                p -= step * m_ / (np.sqrt(v_) + EPSILON)
        times.append(time.perf_counter() - start)
    out = np.concatenate([_forward(params, acts, x[i:i + PREDICT_BATCH])[-1] for i in range(0, len(x), PREDICT_BATCH)])
    return times, (_sigmoid(out) if spec["loss"] == BINARY else out), {}


def train_sklearn(spec, x, y, weights, epochs, threads):
    import warnings

    from sklearn.neural_network import MLPClassifier

    hidden = spec["activations"][:-1]
    clf = MLPClassifier(hidden_layer_sizes=spec["sizes"][1:-1],
                        activation="logistic" if hidden[0] == "sigmoid" else "relu",
                        solver="adam", alpha=0.0,  # no L2 penalty: none of the others has one
                        batch_size=spec["batch"], learning_rate_init=spec["learning_rate"],
                        epsilon=EPSILON, shuffle=True, random_state=0)
    labels = y.reshape(-1).astype(np.int64)
    classes = np.arange(2 if spec["loss"] == BINARY else spec["sizes"][-1])
    times = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence chatter about single passes
        for _ in range(epochs):
            start = time.perf_counter()
            clf.partial_fit(x, labels, classes=classes)
            times.append(time.perf_counter() - start)
    proba = clf.predict_proba(x)
    return times, (proba[:, 1] if spec["loss"] == BINARY else proba), {"note": "own initial weights"}
