"""Keras-style losses: NumPy formulas written here (float64), reductions, weights, stability, errors, lookup.

One table (LOSSES) lists every loss: adding a loss means adding one row.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet import losses
from glassnet.testing import check_grad
from gradrows import strict_numerics

EPS = 1e-7


# ----- NumPy references, float64 ---------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _bce_logits_ref(y, x):
    """Exact, no clipping: -[y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))]."""
    s = _sigmoid(x)
    return -(y * np.log(s) + (1 - y) * np.log(1 - s)).mean(axis=-1)


def _cce_logits_ref(y, x):
    return -(y * np.log(_softmax(x))).sum(axis=-1)


def _bce_ref(y, p, smoothing=0.0):
    y = y * (1 - smoothing) + 0.5 * smoothing
    p = np.clip(p, EPS, 1 - EPS)
    return -(y * np.log(p + EPS) + (1 - y) * np.log(1 - p + EPS)).mean(axis=-1)


def _cce_ref(y, p, smoothing=0.0):
    y = y * (1 - smoothing) + smoothing / y.shape[-1]
    p = np.clip(p / p.sum(axis=-1, keepdims=True), EPS, 1 - EPS)
    return -(y * np.log(p)).sum(axis=-1)


def _sparse_ref(labels, p):
    p = np.clip(p, EPS, 1 - EPS)
    p = p / p.sum(axis=-1, keepdims=True)  # Keras's log-then-log-softmax renormalises the clipped values
    return -np.log(np.take_along_axis(p, labels[..., None], axis=-1)[..., 0])


def _huber_ref(y, p, delta=1.0):
    e = np.abs(p - y)
    return np.where(e <= delta, 0.5 * e ** 2, delta * e - 0.5 * delta ** 2).mean(axis=-1)


def _kld_ref(y, p):
    y, p = np.clip(y, EPS, 1), np.clip(p, EPS, 1)
    return (y * np.log(y / p)).sum(axis=-1)


# ----- inputs --------------------------------------------------------------------------
def _binary(rng, shape):
    return rng.integers(0, 2, shape).astype(np.float64)


def _soft_binary(rng, shape):
    return rng.uniform(0, 1, shape)


def _one_hot(rng, shape):
    return np.eye(shape[-1])[rng.integers(0, shape[-1], shape[:-1])]


def _distribution(rng, shape):
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _labels(rng, shape):
    return rng.integers(0, shape[-1], shape[:-1])


def _probability(rng, shape):
    return rng.uniform(0.05, 0.95, shape)


def _positive(rng, shape):
    return rng.uniform(0.1, 1.0, shape)


def _logits(rng, shape):
    return rng.uniform(-3, 3, shape)


def _real(rng, shape):
    return rng.uniform(-2, 2, shape)


def _kinkless(rng, shape):
    """Errors whose size keeps off 0 (|e|'s kink) and off 0.5 / 1 (Huber's deltas), for targets 0."""
    size = rng.choice([0.2, 0.3, 0.7, 0.8, 1.3, 1.6], shape) + rng.uniform(-0.05, 0.05, shape)
    return size * rng.choice([-1.0, 1.0], shape)


def _zeros(rng, shape):
    return np.zeros(shape)


# (id, loss object, per-example function with its kwargs, targets, predictions, NumPy reference)
LOSSES = [
    ("bce", losses.BinaryCrossentropy(), losses.binary_crossentropy, {}, _binary, _probability, _bce_ref),
    ("bce_soft_targets", losses.BinaryCrossentropy(), losses.binary_crossentropy, {}, _soft_binary,
     _probability, _bce_ref),
    ("bce_logits", losses.BinaryCrossentropy(from_logits=True), losses.binary_crossentropy,
     {"from_logits": True}, _binary, _logits, _bce_logits_ref),
    ("bce_smoothing", losses.BinaryCrossentropy(label_smoothing=0.2), losses.binary_crossentropy,
     {"label_smoothing": 0.2}, _binary, _probability, lambda y, p: _bce_ref(y, p, 0.2)),
    ("cce", losses.CategoricalCrossentropy(), losses.categorical_crossentropy, {}, _one_hot, _distribution,
     _cce_ref),
    ("cce_unnormalised", losses.CategoricalCrossentropy(), losses.categorical_crossentropy, {}, _one_hot,
     _positive, _cce_ref),
    ("cce_logits", losses.CategoricalCrossentropy(from_logits=True), losses.categorical_crossentropy,
     {"from_logits": True}, _one_hot, _logits, _cce_logits_ref),
    ("cce_smoothing", losses.CategoricalCrossentropy(label_smoothing=0.1), losses.categorical_crossentropy,
     {"label_smoothing": 0.1}, _one_hot, _distribution, lambda y, p: _cce_ref(y, p, 0.1)),
    ("sparse", losses.SparseCategoricalCrossentropy(), losses.sparse_categorical_crossentropy, {}, _labels,
     _distribution, _sparse_ref),
    ("sparse_logits", losses.SparseCategoricalCrossentropy(from_logits=True),
     losses.sparse_categorical_crossentropy, {"from_logits": True}, _labels, _logits,
     lambda y, x: _sparse_ref(y, _softmax(x))),
    ("mse", losses.MeanSquaredError(), losses.mean_squared_error, {}, _real, _real,
     lambda y, p: ((p - y) ** 2).mean(axis=-1)),
    ("mae", losses.MeanAbsoluteError(), losses.mean_absolute_error, {}, _zeros, _kinkless,
     lambda y, p: np.abs(p - y).mean(axis=-1)),
    ("huber", losses.Huber(), losses.huber, {}, _zeros, _kinkless, _huber_ref),
    ("huber_delta", losses.Huber(delta=0.5), losses.huber, {"delta": 0.5}, _zeros, _kinkless,
     lambda y, p: _huber_ref(y, p, 0.5)),
    ("log_cosh", losses.LogCosh(), losses.log_cosh, {}, _real, _real,
     lambda y, p: np.log(np.cosh(p - y)).mean(axis=-1)),
    ("kld", losses.KLDivergence(), losses.kl_divergence, {}, _distribution, _distribution, _kld_ref),
]
IDS = [row[0] for row in LOSSES]
SHAPES = [(4, 1), (5, 3), (2, 3, 4)]


def _data(make_true, make_pred, shape, seed=0):
    rng = np.random.default_rng(seed)
    return make_true(rng, shape), make_pred(rng, shape)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name, obj, fn, kwargs, make_true, make_pred, reference", LOSSES, ids=IDS)
def test_function_matches_numpy_formula_in_float64(name, obj, fn, kwargs, make_true, make_pred, reference, shape):
    y_true, y_pred = _data(make_true, make_pred, shape)
    out = fn(y_true, gn.tensor(y_pred, dtype="float64"), **kwargs)
    assert out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), reference(y_true, y_pred), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "sum", "none", None])
@pytest.mark.parametrize("name, obj, fn, kwargs, make_true, make_pred, reference", LOSSES, ids=IDS)
def test_object_reductions_and_sample_weight(name, obj, fn, kwargs, make_true, make_pred, reference, reduction):
    shape = (6, 3)
    y_true, y_pred = _data(make_true, make_pred, shape, seed=1)
    weights = np.random.default_rng(2).uniform(0, 2, shape[0])
    per_example = reference(y_true, y_pred)
    config = obj.get_config() | {"reduction": reduction}
    loss = type(obj).from_config(config)
    for sample_weight, w in [(None, 1.0), (weights, weights), (weights[:, None], weights)]:
        out = loss(y_true, gn.tensor(y_pred, dtype="float64"), sample_weight=sample_weight).numpy()
        expected = {"sum_over_batch_size": np.mean(per_example * w), "sum": np.sum(per_example * w)}
        np.testing.assert_allclose(out, expected.get(reduction, per_example * w), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name, obj, fn, kwargs, make_true, make_pred, reference", LOSSES, ids=IDS)
def test_float32_stays_float32(name, obj, fn, kwargs, make_true, make_pred, reference):
    y_true, y_pred = _data(make_true, make_pred, (5, 3))
    y_pred32 = gn.tensor(y_pred.astype(np.float32))
    weights = np.ones(5)  # float64 weights must not promote the loss either
    for out in (fn(y_true, y_pred32, **kwargs), obj(y_true, y_pred32), obj(y_true, y_pred32, sample_weight=weights)):
        assert out.dtype == np.float32
    np.testing.assert_allclose(obj(y_true, y_pred32).numpy(), reference(y_true, y_pred).mean(), rtol=1e-5)


@pytest.mark.parametrize("name, obj, fn, kwargs, make_true, make_pred, reference", LOSSES, ids=IDS)
def test_gradient_of_each_loss_object(name, obj, fn, kwargs, make_true, make_pred, reference):
    y_true, y_pred = _data(make_true, make_pred, (4, 3), seed=3)
    weights = np.random.default_rng(4).uniform(0.5, 1.5, 4)
    check_grad(lambda p: obj(y_true, p), [y_pred], name=name)
    check_grad(lambda p: obj(y_true, p, sample_weight=weights), [y_pred], name=f"{name} weighted")


# ----- logits against probabilities, extreme logits, shift invariance ------------------------
# (id, loss from probabilities, the same from logits, targets, probabilities of logits)
LOGIT_PAIRS = [
    ("binary", losses.BinaryCrossentropy(), losses.BinaryCrossentropy(from_logits=True), _binary, _sigmoid),
    ("categorical", losses.CategoricalCrossentropy(), losses.CategoricalCrossentropy(from_logits=True),
     _one_hot, _softmax),
    ("sparse", losses.SparseCategoricalCrossentropy(), losses.SparseCategoricalCrossentropy(from_logits=True),
     _labels, _softmax),
]
PAIR_IDS = [row[0] for row in LOGIT_PAIRS]


@pytest.mark.parametrize("name, from_probs, from_logits, make_true, activate", LOGIT_PAIRS, ids=PAIR_IDS)
def test_logits_and_probabilities_agree(name, from_probs, from_logits, make_true, activate):
    rng = np.random.default_rng(5)
    x = rng.uniform(-4, 4, (8, 4))
    y = make_true(rng, x.shape)
    a = from_logits(y, gn.tensor(x, dtype="float64")).numpy()
    b = from_probs(y, gn.tensor(activate(x), dtype="float64")).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-5)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("name, from_probs, from_logits, make_true, activate", LOGIT_PAIRS, ids=PAIR_IDS)
def test_extreme_logits_give_finite_losses_and_gradients(name, from_probs, from_logits, make_true, activate, dtype):
    x = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 1e4], [0.0, 0.0, -1e4]])
    y = make_true(np.random.default_rng(6), x.shape)
    logits = gn.tensor(x, dtype=dtype, requires_grad=True)
    with strict_numerics():
        loss = from_logits(y, logits)
        loss.backward()
    assert loss.dtype == dtype and np.isfinite(loss.numpy())
    assert np.all(np.isfinite(logits.grad.numpy()))


@pytest.mark.parametrize("loss, make_true", [
    (losses.CategoricalCrossentropy(from_logits=True), _one_hot),
    (losses.SparseCategoricalCrossentropy(from_logits=True), _labels),
], ids=["categorical", "sparse"])
def test_softmax_cross_entropy_is_shift_invariant(loss, make_true):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((5, 4))
    y = make_true(rng, x.shape)
    base = loss(y, gn.tensor(x, dtype="float64")).numpy()
    shifted = loss(y, gn.tensor(x + rng.uniform(-500, 500, (5, 1)), dtype="float64")).numpy()
    np.testing.assert_allclose(shifted, base, rtol=1e-10)


def test_bce_of_a_certain_wrong_prediction_costs_what_keras_charges():
    loss = losses.BinaryCrossentropy()
    # TF 2.15: clip to [eps, 1 - eps], then log(p + eps): -log(2e-7) = 15.4249
    assert loss(np.array([[1.0]]), gn.tensor([[0.0]])).numpy() == pytest.approx(15.4249, abs=1e-3)
    assert loss(np.array([[0]], dtype=np.uint8), gn.tensor([[1.0]], dtype="float64")).numpy() == pytest.approx(
        -np.log(2e-7), rel=1e-9)
    # in float32, 1 - eps rounds to 1 - 2^-23: -log((1 - (1 - 2^-23)) + 1e-7), as TF computes it
    f32 = np.float32
    expected32 = -np.log((f32(1) - f32(1 - 1e-7)) + f32(1e-7))
    assert loss(np.array([[0]], dtype=np.uint8), gn.tensor([[1.0]])).numpy() == pytest.approx(expected32, rel=1e-6)
    y_pred = gn.tensor([[0.0], [1.0]], requires_grad=True)
    loss(np.array([1, 1]), y_pred).backward()
    assert np.all(np.isfinite(y_pred.grad.numpy()))


def test_probability_clipping_keeps_sparse_and_categorical_finite():
    p = gn.tensor([[1.0, 0.0]], requires_grad=True)
    for loss, y in [(losses.SparseCategoricalCrossentropy(), [1]), (losses.CategoricalCrossentropy(), [[0, 1]])]:
        value = loss(np.array(y), p)
        assert value.numpy() == pytest.approx(-np.log(1e-7), rel=1e-3)


# ----- label shapes and dtypes -------------------------------------------------------------
@pytest.mark.parametrize("fn", [losses.binary_crossentropy, losses.mean_squared_error, losses.mean_absolute_error,
                                losses.huber, losses.log_cosh], ids=lambda f: f.__name__)
def test_targets_n_against_predictions_n_1_are_aligned_never_broadcast(fn):
    y = np.array([1.0, 0.0, 1.0, 0.0])
    p = np.array([[0.9], [0.2], [0.4], [0.7]])
    aligned = fn(y, gn.tensor(p, dtype="float64")).numpy()
    assert aligned.shape == (4,)
    np.testing.assert_allclose(aligned, fn(y[:, None], gn.tensor(p, dtype="float64")).numpy())
    # and the batch mean is the mean of those 4 losses, not of a (4, 4) broadcast
    obj = losses.get(fn)
    assert float(obj(y, gn.tensor(p, dtype="float64"))) == pytest.approx(aligned.mean())
    broadcast = fn(np.broadcast_to(y, (4, 4)), gn.tensor(np.broadcast_to(p, (4, 4)), dtype="float64")).numpy()
    assert float(obj(y, gn.tensor(p, dtype="float64"))) != pytest.approx(broadcast.mean())


def test_targets_n_1_against_predictions_n_are_aligned():
    out = losses.mean_squared_error(np.array([[1.0], [2.0]]), gn.tensor([[1.0, 3.0]]).reshape(2))
    assert out.shape == ()  # Keras: the mean over the last (only) axis


@pytest.mark.parametrize("labels", [
    np.array([2, 0, 1]), np.array([[2], [0], [1]]), np.array([2, 0, 1], dtype=np.uint8),
    np.array([2.0, 0.0, 1.0]), np.array([[2.0], [0.0], [1.0]], dtype=np.float32), [2, 0, 1],
    gn.tensor(np.array([2, 0, 1])),
], ids=["int64", "n_1", "uint8", "float", "float32_n_1", "list", "tensor"])
def test_sparse_labels_of_any_integer_form(labels):
    p = np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.1, 0.8, 0.1]])
    out = losses.sparse_categorical_crossentropy(labels, gn.tensor(p, dtype="float64")).numpy()
    np.testing.assert_allclose(out, -np.log([0.5, 0.6, 0.8]), rtol=1e-6)


def test_sparse_ignore_class_masks_and_averages_over_the_rest():
    p = gn.tensor([[0.5, 0.5], [0.25, 0.75], [0.9, 0.1]], dtype="float64")
    y = np.array([0, -1, 1])
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    per_example = losses.sparse_categorical_crossentropy(y, p, ignore_class=-1).numpy()
    np.testing.assert_allclose(per_example, [np.log(2), 0.0, -np.log(0.1)])
    assert float(loss(y, p)) == pytest.approx((np.log(2) - np.log(0.1)) / 2)
    assert float(loss(np.array([-1, -1, -1]), p)) == 0.0


def test_sparse_class_axis_other_than_last():
    rng = np.random.default_rng(8)
    x = rng.standard_normal((2, 4, 3))  # classes on axis 1
    y = rng.integers(0, 4, (2, 3))
    out = losses.sparse_categorical_crossentropy(y, gn.tensor(x, dtype="float64"), from_logits=True, axis=1)
    expected = _sparse_ref(y, _softmax(np.moveaxis(x, 1, -1)))
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-10)


def _categorical_as_six_ops(y, p, axis):
    """Keras's formula for probabilities written as the separate ops it once was."""
    eps = 1e-7
    q = gn.clip(p / gn.sum(p, axis=axis, keepdims=True), eps, 1.0 - eps)
    return -gn.sum(y * gn.log(q), axis=axis)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape, axis", [((5, 3), -1), ((4, 6), 0), ((2, 3, 4), 1), ((6,), 0), ((3, 1), -1)], ids=str)
def test_categorical_from_probabilities_is_the_six_ops_bit_for_bit(shape, axis, dtype):
    """One fused node, the same numbers as normalise, clip, log, multiply, sum and negate
    (forward and gradient), with probabilities at and past the clip and unnormalised rows."""
    rng = np.random.default_rng(len(shape) * 10 + axis)
    p = rng.uniform(0.0, 2.0, shape).astype(dtype)
    if shape[axis] > 1:  # a 0 and a near-0 beside larger values: clipped below after normalising
        p.flat[0], p.flat[-1] = 0.0, 1e-12
    y = rng.uniform(0.0, 1.0, shape).astype(dtype)
    upstream = rng.standard_normal(np.delete(np.array(shape), axis % len(shape)).tolist() or ()).astype(dtype)
    results = []
    fused = lambda t: losses.categorical_crossentropy(y, t, axis=axis)  # noqa: E731
    for compute in (fused, lambda t: _categorical_as_six_ops(y, t, axis)):
        t = gn.tensor(p, requires_grad=True)
        out = compute(t)
        out.backward(gn.tensor(upstream))
        results.append((out.numpy(), t.grad.numpy()))
    (one, one_grad), (six, six_grad) = results
    assert one.dtype == dtype and one.tobytes() == six.tobytes()
    assert one_grad.tobytes() == six_grad.tobytes()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("shape", [(6,), (5, 1), (5, 3), (2, 3, 4)], ids=str)
def test_mean_squared_error_is_subtract_square_mean_bit_for_bit(shape, dtype):
    """One fused node, the numbers of the three ops it replaced, forward and gradient."""
    rng = np.random.default_rng(sum(shape))
    p, y = (rng.standard_normal(shape).astype(dtype) for _ in range(2))
    upstream = rng.standard_normal(shape[:-1]).astype(dtype)
    from glassnet.losses.base import mean_over_last

    def as_three_ops(t):
        error = t - y
        return mean_over_last(error * error)

    results = []
    for compute in (lambda t: losses.mean_squared_error(y, t), as_three_ops):
        t = gn.tensor(p, requires_grad=True)
        out = compute(t)
        out.backward(gn.tensor(upstream))
        results.append((out.numpy(), t.grad.numpy()))
    (fused, fused_grad), (three, three_grad) = results
    assert fused.dtype == dtype and fused.shape == shape[:-1]
    assert fused.tobytes() == three.tobytes() and fused_grad.tobytes() == three_grad.tobytes()


def test_categorical_class_axis_other_than_last():
    rng = np.random.default_rng(9)
    x = rng.standard_normal((3, 5))
    y = np.eye(3)[:, rng.integers(0, 3, 5)]  # one-hot down the columns
    out = losses.categorical_crossentropy(y, gn.tensor(x, dtype="float64"), from_logits=True, axis=0)
    np.testing.assert_allclose(out.numpy(), _cce_ref(y.T, _softmax(x.T)), rtol=1e-10)


# ----- errors --------------------------------------------------------------------------------
ERRORS = [
    ("shape_mismatch", lambda: losses.mean_squared_error(np.zeros(3), gn.tensor(np.zeros((4, 1)))),
     r"y_true.shape=\(3,\), y_pred.shape=\(4, 1\)"),
    ("bce_columns", lambda: losses.BinaryCrossentropy()(np.zeros((4, 2)), np.full((4, 3), 0.5)),
     r"binary_crossentropy.*y_true.shape=\(4, 2\), y_pred.shape=\(4, 3\)"),
    ("cce_integer_labels", lambda: losses.CategoricalCrossentropy()(np.array([0, 1]), np.full((2, 3), 0.3)),
     r"sparse_categorical_crossentropy.*y_true.shape=\(2,\)"),
    ("sparse_out_of_range", lambda: losses.SparseCategoricalCrossentropy()(np.array([0, 5]), np.full((2, 3), 0.3)),
     r"\[0, 3\).*label of 5"),
    ("sparse_negative", lambda: losses.sparse_categorical_crossentropy(np.array([-1, 0]), np.zeros((2, 3)), True),
     r"\[0, 3\).*label of -1"),
    ("sparse_non_integer", lambda: losses.SparseCategoricalCrossentropy()(np.array([0.5, 1.0]), np.full((2, 3), 0.3)),
     r"integer class indices.*0.5"),
    ("sparse_one_hot", lambda: losses.SparseCategoricalCrossentropy()(np.eye(3), np.full((3, 3), 0.3)),
     r"one-hot.*y_true.shape=\(3, 3\), y_pred.shape=\(3, 3\)"),
    ("sparse_wrong_shape", lambda: losses.SparseCategoricalCrossentropy()(np.zeros(4, int), np.full((2, 3), 0.3)),
     r"y_true.shape=\(4,\), y_pred.shape=\(2, 3\)"),
    ("sample_weight_shape", lambda: losses.MeanSquaredError()(np.zeros((4, 1)), np.zeros((4, 1)), np.ones(3)),
     r"sample_weight.shape=\(3,\), losses.shape=\(4,\)"),
    ("sample_weight_square", lambda: losses.MeanSquaredError()(np.zeros((4, 1)), np.zeros((4, 1)), np.ones((4, 4))),
     r"sample_weight.shape=\(4, 4\)"),
    ("reduction", lambda: losses.MeanSquaredError(reduction="mean_of_all"), r"reduction='mean_of_all'"),
    ("label_smoothing", lambda: losses.BinaryCrossentropy(label_smoothing=2), r"label_smoothing=2"),
    ("huber_delta", lambda: losses.Huber(delta=0), r"delta=0"),
    ("unknown_name", lambda: losses.get("cross_entropy"), r"'cross_entropy'.*binary_crossentropy"),
]


@pytest.mark.parametrize("name, call, message", ERRORS, ids=[row[0] for row in ERRORS])
def test_clear_errors(name, call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_from_logits_must_be_a_bool():
    with pytest.raises(TypeError, match="from_logits='yes'"):
        losses.BinaryCrossentropy(from_logits="yes")


# ----- lookup, config, attributes ---------------------------------------------------------------
def _custom(y_true, y_pred):
    return gn.mean(gn.abs(y_pred - y_true), axis=-1)


GET = [
    ("class", losses.BinaryCrossentropy, losses.BinaryCrossentropy, "binary_crossentropy"),
    ("class_name", "BinaryCrossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
    ("function_name", "binary_crossentropy", losses.BinaryCrossentropy, "binary_crossentropy"),
    ("sparse_name", "sparse_categorical_crossentropy", losses.SparseCategoricalCrossentropy,
     "sparse_categorical_crossentropy"),
    ("mse", "mse", losses.MeanSquaredError, "mean_squared_error"),
    ("MAE", "MAE", losses.MeanAbsoluteError, "mean_absolute_error"),
    ("huber", "huber", losses.Huber, "huber_loss"),
    ("kld", "kld", losses.KLDivergence, "kl_divergence"),
    ("known_function", losses.categorical_crossentropy, losses.CategoricalCrossentropy, "categorical_crossentropy"),
    ("callable", _custom, losses.LossFunctionWrapper, "_custom"),
]


@pytest.mark.parametrize("name, identifier, cls, loss_name", GET, ids=[row[0] for row in GET])
def test_get_resolves_to_a_loss_object(name, identifier, cls, loss_name):
    loss = losses.get(identifier)
    assert type(loss) is cls and loss.name == loss_name
    assert float(loss(np.array([[1]]), gn.tensor([[0.5, 0.5]]) if cls.target_kind == "sparse"
                      else gn.tensor([[0.5]]))) > 0


def test_get_passes_instances_and_none_through():
    loss = losses.Huber(delta=3.0)
    assert losses.get(loss) is loss and losses.get(None) is None
    with pytest.raises(TypeError, match="42"):
        losses.get(42)


@pytest.mark.parametrize("loss", [row[1] for row in LOSSES] + [losses.LossFunctionWrapper(losses.huber, delta=2.0)],
                         ids=IDS + ["wrapper"])
def test_serialize_round_trip(loss):
    again = losses.get(losses.serialize(loss))
    assert type(again) is type(loss) and again.get_config() == loss.get_config()


@pytest.mark.parametrize("loss, kind, from_logits", [
    (losses.BinaryCrossentropy(), "binary", False),
    (losses.BinaryCrossentropy(from_logits=True), "binary", True),
    (losses.CategoricalCrossentropy(from_logits=True), "categorical", True),
    (losses.SparseCategoricalCrossentropy(from_logits=True), "sparse", True),
    (losses.MeanSquaredError(), "regression", False),
    (losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, from_logits=True), "sparse", True),
    (losses.LossFunctionWrapper(_custom), None, False),
], ids=["bce", "bce_logits", "cce_logits", "sparse_logits", "mse", "wrapped_sparse", "custom"])
def test_target_kind_and_from_logits_for_the_model(loss, kind, from_logits):
    assert loss.target_kind == kind and loss.from_logits is from_logits


def test_custom_loss_subclass_gets_reduction_and_weights():
    class Squares(losses.Loss):
        def call(self, y_true, y_pred):
            return gn.sum(gn.square(y_pred - y_true), axis=-1)

    out = Squares()(np.array([[0.0], [0.0]]), gn.tensor([[1.0], [3.0]]), sample_weight=np.array([1.0, 0.5]))
    assert out.dtype == np.float32 and float(out) == pytest.approx((1 + 4.5) / 2)
