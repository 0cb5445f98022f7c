"""End to end: the course's models, trained through the Keras face, reach accuracy thresholds.

Each test builds a model the way a lab does (``import glassnet as tf``, ``Sequential``,
``Dense``, ``compile(loss=..., optimizer=...)``, ``fit``, ``predict``), seeds it with
``tf.random.set_seed(1234)`` first, and checks what a learner would look at: the accuracy
of ``argmax(predict)`` (or of ``predict >= 0.5``).

The course's data (``../shared/data/course``) and the real MNIST sample
(``../shared/data/mnist5k``) are optional: tests that read them skip when they are absent.
The bundled synthetic digits and the generated problems need nothing outside the package.

Measured on a 2-core machine, the slowest test here (coffee roasting, 62,500 steps) takes
about 8 s, so none is marked slow.
"""

import io
import re
from pathlib import Path

import numpy as np
import pytest

import glassnet as tf
from glassnet.datasets import synthetic_digits
from glassnet.keras.layers import Dense

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
COURSE = SHARED_DATA / "course" / "generated"
MNIST = SHARED_DATA / "mnist5k" / "mnist5k.npz"


def _require(*paths):
    for path in paths:
        if not path.is_file():
            pytest.skip(f"shared data not present: {path}")


def _load_course(*names):
    paths = [COURSE / f"{name}.npy" for name in names]
    _require(*paths)
    return [np.load(path) for path in paths]


def _class_accuracy(model, x, y):
    return float(np.mean(np.argmax(model.predict(x), axis=1) == np.asarray(y).reshape(-1)))


def _digit_model():
    """The graded lab's digit model: Dense 25 relu -> 15 relu -> 10 linear, from logits, Adam(0.001)."""
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(400,)),
        Dense(25, activation="relu", name="L1"),
        Dense(15, activation="relu", name="L2"),
        Dense(10, activation="linear", name="L3"),
    ], name="my_model")
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(0.001))
    return model


# ----- 1. four blobs (W2 multiclass lab) ------------------------------------------------------
def _blobs100_model():
    model = tf.keras.Sequential([
        Dense(2, activation="relu", name="L1"),
        Dense(4, activation="linear", name="L2"),
    ])
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(0.01))
    return model


BLOBS100_SEEDS = (1234, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9)


def test_blobs100_lab_model_separates_the_four_blobs():
    """Dense 2 relu -> 4 linear, Adam(0.01), 200 epochs on the lab's 100 points.

    Two ReLU units are a tight bottleneck for four classes, and the outcome depends on
    the initial weights: with ``set_seed(1234)`` this run stops at 0.92 (two hidden
    units each order two of the blobs along one axis; three points of class 1 fall where
    class 0 or 2 is predicted; 0.95 after 400 epochs, 0.96 after 1000), while most seeds
    reach 1.0. The exact trajectory is checked against NumPy in the next test, so this
    is the optimization problem itself, not the library. Hence the threshold is on the
    seeds taken together: most runs reach 0.95, the median is near perfect, and none
    collapses (every run separates at least three of the four blobs).
    """
    x, y = _load_course("blobs100_X", "blobs100_y")
    accuracies = {}
    for seed in BLOBS100_SEEDS:
        tf.random.set_seed(seed)
        model = _blobs100_model()
        model.fit(x, y, epochs=200, verbose=0)
        accuracies[seed] = _class_accuracy(model, x, y)
    values = np.array(list(accuracies.values()))
    assert min(values) >= 0.75, accuracies
    assert np.sum(values >= 0.95) >= 7, accuracies     # measured 8 of 11
    assert np.median(values) >= 0.98, accuracies
    assert accuracies[1234] >= 0.90, accuracies


def test_blobs100_training_matches_a_numpy_reference():
    """Same model, unshuffled batches of 32: every epoch's loss and the final weights agree with
    plain NumPy (float64) forward pass, backpropagation and Adam from the same initial weights."""
    x, y = _load_course("blobs100_X", "blobs100_y")
    tf.random.set_seed(1234)
    model = _blobs100_model()
    model.build(input_shape=(None, 2))
    weights = [w.astype(np.float64) for w in model.get_weights()]
    history = model.fit(x, y, epochs=200, shuffle=False, verbose=0)

    xs = x.astype(np.float32).astype(np.float64)
    m = [np.zeros_like(w) for w in weights]
    v = [np.zeros_like(w) for w in weights]
    step, losses = 0, []
    for _ in range(200):
        total = 0.0
        for start in range(0, len(xs), 32):
            xb, yb = xs[start:start + 32], y[start:start + 32]
            n, rows = len(xb), np.arange(len(xb))
            w1, b1, w2, b2 = weights
            z1 = xb @ w1 + b1
            a1 = np.maximum(z1, 0.0)
            z2 = a1 @ w2 + b2
            z2 = z2 - z2.max(axis=1, keepdims=True)
            log_p = z2 - np.log(np.exp(z2).sum(axis=1, keepdims=True))
            total += -log_p[rows, yb].sum()
            dz2 = np.exp(log_p)
            dz2[rows, yb] -= 1.0
            dz2 /= n
            dz1 = (dz2 @ w2.T) * (z1 > 0)
            grads = [xb.T @ dz1, dz1.sum(0), a1.T @ dz2, dz2.sum(0)]
            step += 1
            alpha = 0.01 * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)
            for i, g in enumerate(grads):
                m[i] += (g - m[i]) * 0.1
                v[i] += (g * g - v[i]) * 0.001
                weights[i] = weights[i] - alpha * m[i] / (np.sqrt(v[i]) + 1e-7)
        losses.append(total / len(xs))

    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-4, atol=1e-6)
    for got, want in zip(model.get_weights(), weights):
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)
    logits = np.maximum(xs @ weights[0] + weights[1], 0.0) @ weights[2] + weights[3]
    assert np.array_equal(np.argmax(model.predict(x), axis=1), np.argmax(logits, axis=1))


def test_blobs2000_lab_model_reaches_095():
    x, y = _load_course("blobs2000_X", "blobs2000_y")
    tf.random.set_seed(1234)
    model = tf.keras.Sequential([
        Dense(25, activation="relu"),
        Dense(15, activation="relu"),
        Dense(4, activation="linear"),
    ])
    model.compile(loss=tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  optimizer=tf.keras.optimizers.Adam(0.001))
    history = model.fit(x, y, epochs=10, verbose=0)
    assert len(history.history["loss"]) == 10
    assert history.history["loss"][-1] < history.history["loss"][0]
    assert _class_accuracy(model, x, y) >= 0.95       # measured 0.987


# ----- 2. coffee roasting (W1 lab) ------------------------------------------------------------
def test_coffee_roasting_lab_reaches_095():
    """The lab as written: normalize, tile 1000x (200,000 rows, 6,250 steps an epoch), 10 epochs."""
    X, Y = _load_course("coffee_X", "coffee_Y")
    norm_l = tf.keras.layers.Normalization(axis=-1)
    norm_l.adapt(X)
    Xn = norm_l(X)
    Xt = np.tile(Xn, (1000, 1))
    Yt = np.tile(Y, (1000, 1))
    assert Xt.shape == (200000, 2) and Yt.shape == (200000, 1)

    tf.random.set_seed(1234)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(2,)),
        Dense(3, activation="sigmoid", name="layer1"),
        Dense(1, activation="sigmoid", name="layer2"),
    ])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(),
                  optimizer=tf.keras.optimizers.Adam(learning_rate=0.01))
    history = model.fit(Xt, Yt, epochs=10, verbose=0)

    losses = history.history["loss"]
    assert len(losses) == 10 and losses[-1] < 0.05 < losses[0]
    predictions = model.predict(Xn)
    assert predictions.shape == (200, 1)
    accuracy = float(np.mean((predictions >= 0.5).astype(int) == Y))
    assert accuracy >= 0.95                           # measured 1.0


# ----- 3. real digits (W2 graded lab's model on mnist5k) ------------------------------------
def test_digit_model_on_mnist5k():
    _require(MNIST)
    with np.load(MNIST) as data:
        x, y = data["x"], data["y"]
    x = (x[:, 4:24, 4:24] / 255.0).reshape(len(x), 400)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    x_train, y_train, x_test, y_test = x[:4000], y[:4000], x[4000:], y[4000:]

    tf.random.set_seed(1234)
    model = _digit_model()
    model.fit(x_train, y_train, epochs=40, batch_size=32, verbose=0)
    # Keras gets 0.998 / 0.91; measured here 1.0 / 0.910 (seeds 0-8: test 0.901-0.911)
    assert _class_accuracy(model, x_train, y_train) >= 0.97
    assert _class_accuracy(model, x_test, y_test) >= 0.90


# ----- 4. several labels at once --------------------------------------------------------------
def test_multilabel_sigmoid_outputs_learn_each_label():
    """Three sigmoid units with BinaryCrossentropy: label k is x_k > 0 for three of five
    Gaussian features (the other two are noise)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(3000, 5))
    y = (x[:, :3] > 0).astype(np.float64)
    x_train, y_train, x_test, y_test = x[:2000], y[:2000], x[2000:], y[2000:]

    tf.random.set_seed(1234)
    model = tf.keras.Sequential([
        tf.keras.Input(shape=(5,)),
        Dense(16, activation="relu"),
        Dense(3, activation="sigmoid"),
    ])
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=tf.keras.optimizers.Adam(0.01))
    model.fit(x_train, y_train, epochs=20, verbose=0)

    for xs, ys in ((x_train, y_train), (x_test, y_test)):
        p = model.predict(xs)
        assert p.shape == (len(xs), 3) and p.min() >= 0.0 and p.max() <= 1.0
        per_label = np.mean((p >= 0.5) == ys, axis=0)
        assert per_label.shape == (3,)
        assert np.all(per_label >= 0.95), per_label    # measured >= 0.995 train, >= 0.988 test


# ----- 5. bundled synthetic digits (what `glassnet demo` trains) ----------------------------
@pytest.fixture(scope="module")
def synthetic():
    (x_train, y_train), (x_test, y_test) = synthetic_digits.load_data()
    return x_train.reshape(len(x_train), -1), y_train, x_test.reshape(len(x_test), -1), y_test


def test_digit_model_on_synthetic_digits(synthetic):
    x_train, y_train, x_test, y_test = synthetic
    assert x_train.shape == (4000, 400) and x_test.shape == (1000, 400)
    tf.random.set_seed(1234)
    model = _digit_model()
    model.fit(x_train, y_train, epochs=40, verbose=0)
    assert _class_accuracy(model, x_train, y_train) >= 0.97     # measured 1.0
    assert _class_accuracy(model, x_test, y_test) >= 0.90       # measured 0.945


def test_glassnet_demo_reports_that_accuracy(synthetic, tmp_path):
    """``glassnet demo`` with its defaults trains the same model on the same digits."""
    from glassnet import cli

    out = io.StringIO()
    assert cli.demo(output_dir=str(tmp_path), out=out) == 0
    text = out.getvalue()
    assert "Epoch 40/40" in text
    train = float(re.search(r"training accuracy: ([0-9.]+)", text).group(1))
    held_out = float(re.search(r"held-out accuracy: ([0-9.]+)", text).group(1))
    assert train >= 0.97 and held_out >= 0.90


# ----- 6. plain gradient descent: one step per epoch ------------------------------------------
def test_full_batch_sgd_is_the_courses_gradient_descent():
    """``SGD(learning_rate=0.1)`` (momentum 0) with ``batch_size=len(X)``: each epoch is one
    step ``w = w - alpha * dJ/dw``, ``b = b - alpha * dJ/db`` of the mean logistic loss.

    The data are the course's logistic-regression examples; starting from w = 0, b = 0 as the
    course's gradient-descent lab does, 10,000 steps end where that lab ends
    (w = [5.28, 5.08], b = -14.22, reproduced below in NumPy). The two classes are separated by
    the line x0 + x1 = 3 (class 0 has x0 + x1 <= 2, class 1 >= 3.5), so the threshold is every
    point right. The cost's curvature is at most L = 5.33 / 4 (a quarter of the largest
    eigenvalue of A^T A / m, A = [X, 1]); alpha = 0.1 is far below 2 / L = 1.5, so the cost
    must go down at every step.
    """
    X = np.array([[0.5, 1.5], [1, 1], [1.5, 0.5], [3, 0.5], [2, 2], [1, 2.5]])
    y = np.array([0, 0, 0, 1, 1, 1], dtype=np.float64).reshape(-1, 1)

    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), Dense(1, activation="sigmoid")])
    model.layers[0].set_weights([np.zeros((2, 1)), np.zeros(1)])
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.1, momentum=0.0)
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=optimizer)
    history = model.fit(X, y, epochs=10000, batch_size=len(X), verbose=0)

    assert optimizer.iterations == 10000                      # one step per epoch
    losses = np.array(history.history["loss"])
    assert losses[0] == pytest.approx(np.log(2.0), rel=1e-6)  # sigmoid(0) = 0.5 everywhere
    assert np.all(np.diff(losses) <= 1e-7)
    assert losses[-1] < 0.02

    w, b = np.zeros((2, 1)), 0.0
    for _ in range(10000):
        error = 1.0 / (1.0 + np.exp(-(X @ w + b))) - y
        w = w - 0.1 * X.T @ error / len(X)
        b = b - 0.1 * float(np.mean(error))
    kernel, bias = model.layers[0].get_weights()
    np.testing.assert_allclose(kernel, w, rtol=1e-4)
    np.testing.assert_allclose(bias, [b], rtol=1e-4)
    np.testing.assert_allclose(w.ravel(), [5.28, 5.08], atol=0.005)
    assert b == pytest.approx(-14.22, abs=0.005)
    assert np.array_equal((model.predict(X) >= 0.5).astype(int), y.astype(int))


def test_full_batch_sgd_on_overlapping_classes_nears_the_bayes_rule():
    """Two Gaussian classes N(-(1, 1), I) and N((1, 1), I): the best possible rule is
    x0 + x1 > 0, right with probability Phi(sqrt 2) = 0.921, and logistic regression can
    express it (w along (1, 1), b = 0). 200 full-batch gradient-descent steps must come
    within 0.01 of that rule's accuracy on the same sample (and so above 0.90)."""
    rng = np.random.default_rng(3)
    n = 2000
    labels = rng.integers(0, 2, n)
    x = rng.normal(size=(n, 2)) + np.where(labels[:, None] == 1, 1.0, -1.0)
    y = labels.reshape(-1, 1).astype(np.float64)
    bayes = float(np.mean((x.sum(axis=1) > 0) == labels))
    assert 0.90 <= bayes <= 0.94                              # 0.9145 for this sample

    tf.random.set_seed(1234)
    model = tf.keras.Sequential([tf.keras.Input(shape=(2,)), Dense(1, activation="sigmoid")])
    optimizer = tf.keras.optimizers.SGD(learning_rate=0.5)
    model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=optimizer)
    history = model.fit(x, y, epochs=200, batch_size=n, verbose=0)

    assert optimizer.momentum == 0.0 and optimizer.iterations == 200
    losses = np.array(history.history["loss"])
    assert np.all(np.diff(losses) <= 1e-6) and losses[-1] < 0.25
    accuracy = float(np.mean((model.predict(x) >= 0.5) == y))
    assert accuracy >= bayes - 0.01 and accuracy >= 0.90      # measured 0.913
    kernel, bias = model.layers[0].get_weights()
    direction = kernel.ravel() / np.linalg.norm(kernel)
    assert direction @ np.array([1.0, 1.0]) / np.sqrt(2.0) > 0.99
    assert abs(float(bias[0])) < 0.2
