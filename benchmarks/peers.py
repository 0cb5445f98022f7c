"""Trainers for glassnet and the deep-learning peers (Keras, PyTorch, JAX).

Each ``train_*(spec, x, y, weights, epochs, threads)`` builds the workload's model from
the shared Keras-layout ``weights``, trains ``epochs`` epochs of Adam over shuffled
mini-batches (the last, partial batch included), timing each epoch on its own, and returns
``(epoch_times, outputs, extra)``: ``outputs`` are the trained model's outputs on the
whole training set (probabilities for binary workloads), computed after the clock stops,
for ``workloads.accuracy``. Every import happens inside its trainer, so this module loads
in an interpreter that has only some of the frameworks.

The ``latency_*`` functions time single-sample inference of the digits model.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np

from workloads import BINARY, PREDICT_BATCH, cnn_shapes, is_cnn


# ----- glassnet and Keras: the same code through either package's Keras API ----------------
def _keras_model(spec, weights, tf):
    layers, keras = tf.keras.layers, tf.keras
    if is_cnn(spec):
        stack = [keras.Input(shape=spec["input"])]
        for filters in spec["filters"]:
            stack += [layers.Conv2D(filters, spec["kernel"], activation="relu"), layers.MaxPooling2D(spec["pool"])]
        stack += [layers.Flatten(), layers.Dense(spec["classes"])]
    else:
        stack = [keras.Input(shape=(spec["sizes"][0],))] + [
            layers.Dense(n, activation=a) for n, a in zip(spec["sizes"][1:], spec["activations"])]
    model = keras.Sequential(stack)
    model.set_weights(weights)
    return model


def _keras_compiled(tf, spec, weights):
    tf.random.set_seed(0)  # the order fit shuffles in
    model = _keras_model(spec, weights, tf)
    loss = (tf.keras.losses.BinaryCrossentropy() if spec["loss"] == BINARY
            else tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(loss=loss, optimizer=tf.keras.optimizers.Adam(spec["learning_rate"]))
    return model


def _keras_train(tf, spec, x, y, weights, epochs):
    model = _keras_compiled(tf, spec, weights)
    times = []
    for _ in range(epochs):  # one fit call per epoch, so each epoch has its own time
        start = time.perf_counter()
        model.fit(x, y, batch_size=spec["batch"], epochs=1, shuffle=True, verbose=0)
        times.append(time.perf_counter() - start)
    return times, model.predict(x, batch_size=PREDICT_BATCH, verbose=0), {}


def train_glassnet(spec, x, y, weights, epochs, threads):
    import glassnet as tf  # glassnet's threads are NumPy's BLAS pool, capped via the environment

    return _keras_train(tf, spec, x, y, weights, epochs)


def _tensorflow(threads):
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # no start-up chatter on stderr
    import tensorflow as tf

    if threads:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
        tf.config.threading.set_inter_op_parallelism_threads(threads)
    return tf


def train_keras(spec, x, y, weights, epochs, threads):
    return _keras_train(_tensorflow(threads), spec, x, y, weights, epochs)


# ----- PyTorch (eager) ----------------------------------------------------------------------
def _torch_model(spec, weights, torch):
    """The workload in PyTorch, loaded from the Keras-layout weights. PyTorch's Linear keeps
    (out, in) kernels and its convolutions compute channels-first, so conv kernels go
    (kh, kw, in, out) -> (out, in, kh, kw) and the dense kernel after Flatten has its rows
    reordered from (h, w, c) to (c, h, w): the same function from the same starting point.
    For binary workloads the last sigmoid is left out and fused into BCEWithLogitsLoss, as
    a PyTorch user would write it."""
    nn, modules = torch.nn, []

    def load(module, kernel, bias):
        with torch.no_grad():
            module.weight.copy_(torch.from_numpy(np.ascontiguousarray(kernel)))
            module.bias.copy_(torch.from_numpy(bias))
        return module

    if is_cnn(spec):
        channels = spec["input"][-1]
        for i, filters in enumerate(spec["filters"]):
            conv = nn.Conv2d(channels, filters, spec["kernel"])
            modules += [load(conv, weights[2 * i].transpose(3, 2, 0, 1), weights[2 * i + 1]),
                        nn.ReLU(), nn.MaxPool2d(spec["pool"])]
            channels = filters
        (h, w), flat = cnn_shapes(spec)
        kernel = weights[-2].reshape(h, w, channels, -1).transpose(2, 0, 1, 3).reshape(flat, -1)
        return nn.Sequential(*modules, nn.Flatten(), load(nn.Linear(flat, spec["classes"]), kernel.T, weights[-1]))
    sizes, acts = spec["sizes"], spec["activations"]
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        modules.append(load(nn.Linear(n_in, n_out), weights[2 * i].T, weights[2 * i + 1]))
        last = i == len(acts) - 1
        if acts[i] == "relu":
            modules.append(nn.ReLU())
        elif acts[i] == "sigmoid" and not (last and spec["loss"] == BINARY):
            modules.append(nn.Sigmoid())
    return nn.Sequential(*modules)


def _torch(threads):
    import torch

    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(0)  # the order randperm shuffles in
    return torch


def train_pytorch(spec, x, y, weights, epochs, threads):
    torch = _torch(threads)
    model = _torch_model(spec, weights, torch)
    if is_cnn(spec):
        x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))  # NHWC -> NCHW, once, before timing
    loss_fn = torch.nn.BCEWithLogitsLoss() if spec["loss"] == BINARY else torch.nn.CrossEntropyLoss()
    opt = torch.optim.Adam(model.parameters(), lr=spec["learning_rate"], eps=1e-7)  # Keras's eps
    xt, yt, batch, times = torch.from_numpy(x), torch.from_numpy(y), spec["batch"], []
    for _ in range(epochs):
        start = time.perf_counter()
        order = torch.randperm(len(xt))
        xs, ys = xt[order], yt[order]
        for i in range(0, len(xs), batch):
            opt.zero_grad()
            loss_fn(model(xs[i:i + batch]), ys[i:i + batch]).backward()
            opt.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        out = torch.cat([model(xt[i:i + PREDICT_BATCH]) for i in range(0, len(xt), PREDICT_BATCH)])
        if spec["loss"] == BINARY:
            out = torch.sigmoid(out)
    return times, out.numpy(), {}


# ----- JAX: the whole train step under jax.jit, optax.adam ---------------------------------
def _jax_forward(spec, params, x, jax):
    """Logits. Kernels stay in Keras's layout: NHWC images, HWIO conv kernels, and a Flatten
    that reads (h, w, c) in the same order Keras does."""
    jnp, lax = jax.numpy, jax.lax
    if is_cnn(spec):
        p = spec["pool"]
        for kernel, bias in zip(params[0:-2:2], params[1:-2:2]):
            x = lax.conv_general_dilated(x, kernel, (1, 1), "VALID", dimension_numbers=("NHWC", "HWIO", "NHWC"))
            x = jax.nn.relu(x + bias)
            x = lax.reduce_window(x, -jnp.inf, lax.max, (1, p, p, 1), (1, p, p, 1), "VALID")
        return x.reshape(x.shape[0], -1) @ params[-2] + params[-1]
    acts = spec["activations"]
    for i, act in enumerate(acts):
        x = x @ params[2 * i] + params[2 * i + 1]
        if i < len(acts) - 1:  # the last layer's sigmoid lives in the loss, as in PyTorch
            x = jax.nn.relu(x) if act == "relu" else jax.nn.sigmoid(x) if act == "sigmoid" else x
    return x


def train_jax(spec, x, y, weights, epochs, threads):
    import jax
    import optax

    lax, batch, n = jax.lax, spec["batch"], len(x)
    opt = optax.adam(spec["learning_rate"], eps=1e-7)

    def loss(params, xb, yb):
        logits = _jax_forward(spec, params, xb, jax)
        if spec["loss"] == BINARY:
            return optax.sigmoid_binary_cross_entropy(logits, yb).mean()
        return optax.softmax_cross_entropy_with_integer_labels(logits, yb).mean()

    def make_step(size):
        # The batch is sliced inside the compiled step from the epoch's shuffled arrays,
        # so each step is a single dispatch; params and optimizer state are donated.
        def step(params, state, xs, ys, i):
            xb, yb = lax.dynamic_slice_in_dim(xs, i, size), lax.dynamic_slice_in_dim(ys, i, size)
            grads = jax.grad(loss)(params, xb, yb)
            updates, state = opt.update(grads, state, params)
            return optax.apply_updates(params, updates), state
        return jax.jit(step, donate_argnums=(0, 1))

    params = [jax.numpy.asarray(w) for w in weights]
    state = opt.init(params)
    xd, yd = jax.device_put(x), jax.device_put(y)
    permute = jax.jit(lambda a, order: a[order])
    rng = np.random.default_rng(0)
    # Compile before the clock starts (the full-batch step, the partial last batch's step,
    # the shuffles of x and y), by running each once on throw-away copies (the real ones
    # would be donated), so compilation is reported on its own and epoch 1 is pure running.
    start = time.perf_counter()
    steps = {s: make_step(s) for s in {batch, n % batch or batch}}
    for step in steps.values():
        copies = jax.tree.map(jax.numpy.copy, (params, state))
        jax.block_until_ready(step(*copies, xd, yd, np.int32(0)))
    jax.block_until_ready((permute(xd, np.arange(n)), permute(yd, np.arange(n))))
    compile_s = time.perf_counter() - start
    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        order = rng.permutation(n)
        xs, ys = permute(xd, order), permute(yd, order)
        for i in range(0, n, batch):
            params, state = steps[min(batch, n - i)](params, state, xs, ys, np.int32(i))
        jax.block_until_ready(params)
        times.append(time.perf_counter() - start)
    forward = jax.jit(lambda p, xb: _jax_forward(spec, p, xb, jax))
    out = np.concatenate([np.asarray(forward(params, xd[i:i + PREDICT_BATCH])) for i in range(0, n, PREDICT_BATCH)])
    if spec["loss"] == BINARY:
        out = 1.0 / (1.0 + np.exp(-out))
    return times, out, {"compile_s": compile_s}


# ----- single-sample predict latency of the digits model ------------------------------------
def _median_us(call, budget_s=3.0, max_calls=2000, min_calls=20):
    """Median wall time of ``call()`` in µs, after a warm-up, over as many calls as fit in
    ``budget_s`` (Keras's predict costs milliseconds; glassnet's and PyTorch's far less)."""
    for _ in range(5):
        call()
    samples, deadline = [], time.perf_counter() + budget_s
    while len(samples) < max_calls and (len(samples) < min_calls or time.perf_counter() < deadline):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return {"us": statistics.median(samples) * 1e6, "calls": len(samples)}


def latency_glassnet(spec, x, weights, threads):
    import glassnet as tf

    model, x1 = _keras_model(spec, weights, tf), x[:1]
    return _median_us(lambda: model.predict(x1))


def latency_keras(spec, x, weights, threads):
    model, x1 = _keras_model(spec, weights, _tensorflow(threads)), x[:1]
    return _median_us(lambda: model.predict(x1, verbose=0))


def latency_pytorch(spec, x, weights, threads):
    torch = _torch(threads)
    model, x1 = _torch_model(spec, weights, torch).eval(), x[:1]

    def call():  # NumPy in, NumPy out, like the other two
        with torch.no_grad():
            return model(torch.from_numpy(x1)).numpy()
    return _median_us(call)


# ----- many epochs of a tiny data set: fit's own cost per epoch ----------------------------
#: The issue's figure: fit of a 10-sample data set for 2,000 epochs (one step each).
TINY_SAMPLES, TINY_EPOCHS = 10, 2000


def _tiny_fit(tf, spec, x, y, weights):
    """One ``fit(x[:10], y[:10], epochs=2000)`` call, timed whole (its first epoch too):
    what a course exercise that trains a toy set for many epochs waits for."""
    model = _keras_compiled(tf, spec, weights)
    start = time.perf_counter()
    history = model.fit(x[:TINY_SAMPLES], y[:TINY_SAMPLES], epochs=TINY_EPOCHS, verbose=0)
    return {"s": time.perf_counter() - start, "epochs": TINY_EPOCHS, "loss": float(history.history["loss"][-1])}


def tiny_fit_glassnet(spec, x, y, weights, threads):
    import glassnet as tf

    return _tiny_fit(tf, spec, x, y, weights)


def tiny_fit_keras(spec, x, y, weights, threads):
    return _tiny_fit(_tensorflow(threads), spec, x, y, weights)
