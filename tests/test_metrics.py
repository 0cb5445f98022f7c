"""Keras-style metrics: hand computations, accumulation, sample weights, reset, 'accuracy', AUC, lookup."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import losses, metrics

# ----- per-example functions against hand-worked values ---------------------------------------
P_BINARY = np.array([[0.9], [0.4], [0.6], [0.5]])
P3 = np.array([[0.1, 0.7, 0.2], [0.5, 0.3, 0.2], [0.2, 0.3, 0.5], [0.4, 0.4, 0.2]])

FUNCTIONS = [
    # (id, function, kwargs, y_true, y_pred, expected per example)
    ("binary", metrics.binary_accuracy, {}, np.array([1, 0, 0, 1]), P_BINARY, [1, 1, 0, 0]),  # 0.5 is not > 0.5
    ("binary_n_1", metrics.binary_accuracy, {}, np.array([[1], [0], [0], [1]]), P_BINARY, [1, 1, 0, 0]),
    ("binary_threshold", metrics.binary_accuracy, {"threshold": 0.45}, np.array([1.0, 0, 0, 1]), P_BINARY,
     [1, 1, 0, 1]),
    ("binary_columns", metrics.binary_accuracy, {}, np.array([[1, 0], [1, 1]]), np.array([[0.8, 0.7], [0.9, 0.6]]),
     [0.5, 1.0]),
    ("sparse", metrics.sparse_categorical_accuracy, {}, np.array([1, 0, 1, 0]), P3, [1, 1, 0, 1]),  # tie: first
    ("sparse_n_1_float", metrics.sparse_categorical_accuracy, {}, np.array([[1.0], [0.0], [2.0], [1.0]]), P3,
     [1, 1, 1, 0]),
    ("categorical", metrics.categorical_accuracy, {}, np.eye(3)[[1, 2, 2, 0]], P3, [1, 0, 1, 1]),
    ("top_2", metrics.top_k_categorical_accuracy, {"k": 2}, np.eye(3)[[2, 2, 0, 1]], P3, [1, 0, 0, 1]),
    ("sparse_top_1_ties_count", metrics.sparse_top_k_categorical_accuracy, {"k": 1}, np.array([1, 0, 2, 1]), P3,
     [1, 1, 1, 1]),
    ("sparse_top_2", metrics.sparse_top_k_categorical_accuracy, {"k": 2}, np.array([0, 2, 0, 2]), P3,
     [0, 0, 0, 0]),
    ("sparse_top_k_out_of_range", metrics.sparse_top_k_categorical_accuracy, {"k": 3}, np.array([0, 3, -1, 2]),
     P3, [1, 0, 0, 1]),
    ("mse", metrics.mean_squared_error, {}, np.array([[0.0, 1.0], [2.0, 2.0]]), np.array([[1.0, 1.0], [0.0, 5.0]]),
     [0.5, 6.5]),
    ("mae_n_1", metrics.mean_absolute_error, {}, np.array([1.0, -1.0]), np.array([[0.5], [1.0]]), [0.5, 2.0]),
]


@pytest.mark.parametrize("name, fn, kwargs, y_true, y_pred, expected", FUNCTIONS, ids=[r[0] for r in FUNCTIONS])
def test_function_per_example(name, fn, kwargs, y_true, y_pred, expected):
    out = fn(y_true, y_pred, **kwargs)
    np.testing.assert_allclose(out, expected)
    out = fn(gn.tensor(y_true), gn.tensor(y_pred), **kwargs)  # Tensors are read as arrays
    np.testing.assert_allclose(out, expected)


def test_labels_n_against_predictions_n_1_never_broadcast():
    y = np.array([1, 0, 1])
    p = np.array([[0.9], [0.8], [0.7]])
    assert metrics.binary_accuracy(y, p).shape == (3,)
    assert metrics.BinaryAccuracy()(y, p) == pytest.approx(2 / 3)  # a (3, 3) broadcast would give 5/9
    with pytest.raises(ValueError, match=r"y_true.shape=\(2,\), y_pred.shape=\(3, 1\)"):
        metrics.binary_accuracy(np.array([1, 0]), p)
    with pytest.raises(ValueError, match=r"y_true.shape=\(4,\), y_pred.shape=\(4, 3\)"):
        metrics.categorical_accuracy(np.zeros(4), P3)
    with pytest.raises(ValueError, match=r"y_true.shape=\(3,\), y_pred.shape=\(4, 3\)"):
        metrics.sparse_categorical_accuracy(np.zeros(3), P3)


# ----- stateful metrics: accumulation, weights, reset -------------------------------------------
def _binary_data(rng, n):
    return rng.integers(0, 2, n), rng.uniform(0, 1, (n, 1))


def _sparse_data(rng, n):
    return rng.integers(0, 4, n), rng.uniform(0, 1, (n, 4))


def _categorical_data(rng, n):
    return np.eye(4)[rng.integers(0, 4, n)], rng.uniform(0, 1, (n, 4))


def _regression_data(rng, n):
    return rng.standard_normal((n, 2)), rng.standard_normal((n, 2))


STATEFUL = [
    # (id, metric factory, data, per-example function for the hand computation)
    ("binary_accuracy", metrics.BinaryAccuracy, _binary_data,
     lambda y, p: (y == (p[:, 0] > 0.5)).astype(float)),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy, _sparse_data,
     lambda y, p: (p.argmax(-1) == y).astype(float)),
    ("categorical_accuracy", metrics.CategoricalAccuracy, _categorical_data,
     lambda y, p: (p.argmax(-1) == y.argmax(-1)).astype(float)),
    ("top_2", lambda: metrics.TopKCategoricalAccuracy(k=2), _categorical_data,
     lambda y, p: (np.argsort(-p, -1)[:, :2] == y.argmax(-1)[:, None]).any(-1).astype(float)),
    ("sparse_top_2", lambda: metrics.SparseTopKCategoricalAccuracy(k=2), _sparse_data,
     lambda y, p: (np.argsort(-p, -1)[:, :2] == y[:, None]).any(-1).astype(float)),
    ("mse", metrics.MeanSquaredError, _regression_data, lambda y, p: ((y - p) ** 2).mean(-1)),
    ("mae", metrics.MeanAbsoluteError, _regression_data, lambda y, p: np.abs(y - p).mean(-1)),
]


@pytest.mark.parametrize("name, factory, data, reference", STATEFUL, ids=[r[0] for r in STATEFUL])
def test_accumulates_over_batches_with_weights_and_resets(name, factory, data, reference):
    rng = np.random.default_rng(0)
    batches = [data(rng, n) for n in (5, 7, 3)]
    weights = [rng.uniform(0, 2, len(b[0])) for b in batches]
    values = np.concatenate([reference(y, p) for y, p in batches])
    all_weights = np.concatenate(weights)

    m = factory()
    for y, p in batches:
        m.update_state(y, p)
    assert m.result() == pytest.approx(values.mean())

    m.reset_state()
    assert m.result() == 0.0
    for (y, p), w in zip(batches, weights):
        m.update_state(y, p, sample_weight=w[:, None])  # (n, 1) weights as (n,)
    assert m.result() == pytest.approx(np.sum(values * all_weights) / np.sum(all_weights))
    assert isinstance(m.result(), float)


def test_mean_with_weights_and_config():
    m = metrics.Mean(name="avg")
    m.update_state(np.array([[1.0, 3.0], [5.0, 7.0]]), sample_weight=np.array([1.0, 3.0]))  # rows averaged
    assert m.result() == pytest.approx((2.0 * 1 + 6.0 * 3) / 4)
    assert m.get_config() == {"name": "avg", "dtype": "float32"}
    with pytest.raises(ValueError, match=r"sample_weight.shape=\(3,\), values.shape=\(2, 2\)"):
        m.update_state(np.ones((2, 2)), sample_weight=np.ones(3))


def test_calling_a_metric_updates_and_returns_the_result():
    m = metrics.BinaryAccuracy(threshold=0.0)  # logits: pass threshold 0 (Keras keeps 0.5 by default)
    assert m(np.array([1, 0]), np.array([[2.0], [-3.0]])) == 1.0
    assert m(np.array([1, 0]), np.array([[-2.0], [-3.0]])) == 0.75
    m.reset_states()
    assert m.result() == 0.0


# ----- 'accuracy' --------------------------------------------------------------------------------
RESOLVE = [
    # (id, loss, y_true shape, y_pred shape, expected class)
    ("bce_loss", losses.BinaryCrossentropy(), (32, 1), (32, 1), metrics.BinaryAccuracy),
    ("bce_loss_two_columns", "binary_crossentropy", (32, 2), (32, 2), metrics.BinaryAccuracy),
    ("one_column", None, (32,), (32, 1), metrics.BinaryAccuracy),
    ("one_column_mse", losses.MeanSquaredError(), (32, 1), (32, 1), metrics.BinaryAccuracy),
    ("sparse_loss", losses.SparseCategoricalCrossentropy(from_logits=True), (32,), (32, 10),
     metrics.SparseCategoricalAccuracy),
    ("sparse_loss_class", losses.SparseCategoricalCrossentropy, None, (32, 10), metrics.SparseCategoricalAccuracy),
    ("sparse_function", losses.sparse_categorical_crossentropy, (32, 1), (32, 10), metrics.SparseCategoricalAccuracy),
    ("fewer_dims", None, (32,), (32, 4), metrics.SparseCategoricalAccuracy),
    ("last_dim_1", "categorical_crossentropy", (32, 1), (32, 4), metrics.SparseCategoricalAccuracy),
    ("categorical", losses.CategoricalCrossentropy(), (32, 4), (32, 4), metrics.CategoricalAccuracy),
    ("custom_loss", lambda y, p: p, (32, 4), (32, 4), metrics.CategoricalAccuracy),
]


@pytest.mark.parametrize("name, loss, true_shape, pred_shape, cls", RESOLVE, ids=[r[0] for r in RESOLVE])
@pytest.mark.parametrize("written", ["accuracy", "acc"])
def test_resolve_accuracy(name, loss, true_shape, pred_shape, cls, written):
    m = metrics.resolve_accuracy(written, loss, true_shape, pred_shape)
    assert type(m) is cls and m.name == written


def test_get_accuracy_resolves_from_the_first_batch():
    m = metrics.get("acc")
    assert m.name == "acc" and m.result() == 0.0
    m.update_state(np.array([2, 1]), np.array([[0.1, 0.2, 0.7], [0.5, 0.3, 0.2]]))
    assert type(m.resolved) is metrics.SparseCategoricalAccuracy and m.result() == 0.5
    m.reset_state()
    assert m.result() == 0.0


# ----- AUC, Precision, Recall -----------------------------------------------------------------
def _exact_roc_auc(y, p, w=None):
    """P(score of a positive > score of a negative), ties counted half (Mann-Whitney)."""
    w = np.ones(len(y)) if w is None else w
    pos, neg = y == 1, y == 0
    greater = (p[pos][:, None] > p[neg][None, :]) + 0.5 * (p[pos][:, None] == p[neg][None, :])
    pair_weights = w[pos][:, None] * w[neg][None, :]
    return np.sum(greater * pair_weights) / np.sum(pair_weights)


def _average_precision(y, p):
    order = np.argsort(-p)
    hits = y[order] == 1
    precision_at = np.cumsum(hits) / np.arange(1, len(y) + 1)
    return precision_at[hits].sum() / hits.sum()


def _scores(seed=0, n=600):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    p = np.clip(0.5 + 0.25 * (y - 0.5) + 0.2 * rng.standard_normal(n), 0, 1)
    return y, p


def test_roc_auc_is_close_to_the_exact_rank_auc():
    y, p = _scores()
    exact = _exact_roc_auc(y, p)
    assert 0.7 < exact < 0.95
    assert metrics.AUC()(y, p) == pytest.approx(exact, abs=5e-3)
    assert metrics.AUC(num_thresholds=2000)(y, p) == pytest.approx(exact, abs=5e-4)


def test_pr_auc_is_close_to_average_precision():
    y, p = _scores(1)
    assert metrics.AUC(curve="PR", num_thresholds=1000)(y, p) == pytest.approx(_average_precision(y, p), abs=1e-2)


def test_auc_accumulates_weights_resets_and_reads_logits():
    y, p = _scores(2, 300)
    w = np.random.default_rng(3).integers(1, 4, 300).astype(float)
    whole = metrics.AUC()
    whole.update_state(np.repeat(y, w.astype(int)), np.repeat(p, w.astype(int)))
    parts = metrics.AUC()
    for chunk in np.array_split(np.arange(300), 4):
        parts.update_state(y[chunk], p[chunk, None], sample_weight=w[chunk])
    assert parts.result() == pytest.approx(whole.result(), abs=1e-12)
    assert parts.result() == pytest.approx(_exact_roc_auc(y, p, w), abs=5e-3)
    logits = np.log(p.clip(1e-6, 1 - 1e-6) / (1 - p.clip(1e-6, 1 - 1e-6)))
    assert metrics.AUC(from_logits=True)(y, logits) == pytest.approx(metrics.AUC()(y, p.clip(1e-6, 1 - 1e-6)))
    parts.reset_state()
    assert parts.result() == 0.0


@pytest.mark.parametrize("curve", ["ROC", "PR"])
def test_auc_summation_methods_bracket_each_other(curve):
    y, p = _scores(4, 200)
    low, mid, high = (metrics.AUC(num_thresholds=20, curve=curve, summation_method=s)(y, p)
                      for s in ("minoring", "interpolation", "majoring"))
    assert low <= mid + 1e-12 and mid <= high + 1e-12


def test_auc_extremes_and_errors():
    y = np.array([0, 0, 1, 1])
    assert metrics.AUC()(y, np.array([0.1, 0.2, 0.8, 0.9])) == pytest.approx(1.0)
    assert metrics.AUC()(y, np.array([0.9, 0.8, 0.2, 0.1])) == pytest.approx(0.0)
    assert metrics.AUC(thresholds=[0.5, 0.25]).num_thresholds == 4
    with pytest.raises(ValueError, match="from_logits=True"):
        metrics.AUC()(y, np.array([-1.0, 0.2, 0.8, 3.0]))
    with pytest.raises(ValueError, match="curve='XY'"):
        metrics.AUC(curve="xy")
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)


PRECISION_RECALL = [
    # (id, metric, y_true, y_pred, expected)
    ("precision", metrics.Precision(), [0, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.6, 0.2], 2 / 3),
    ("recall", metrics.Recall(), [0, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.6, 0.2], 2 / 3),
    ("precision_threshold", metrics.Precision(thresholds=0.85), [0, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.6, 0.2], 0.0),
    ("recall_thresholds", metrics.Recall(thresholds=[0.7, 0.25]), [0, 1, 1, 1, 0], [0.9, 0.8, 0.3, 0.6, 0.2],
     [1 / 3, 1.0]),
    ("precision_nothing_predicted", metrics.Precision(), [1, 1], [0.1, 0.2], 0.0),
    ("recall_class_id", metrics.Recall(class_id=1), [[1, 0], [0, 1], [0, 1]], [[0.9, 0.1], [0.2, 0.8], [0.7, 0.3]],
     0.5),
]


@pytest.mark.parametrize("name, metric, y_true, y_pred, expected", PRECISION_RECALL,
                         ids=[r[0] for r in PRECISION_RECALL])
def test_precision_and_recall(name, metric, y_true, y_pred, expected):
    metric.reset_state()
    assert metric(np.array(y_true), np.array(y_pred)) == pytest.approx(expected)


def test_precision_accumulates_with_weights():
    m = metrics.Precision()
    m.update_state(np.array([1, 0]), np.array([0.9, 0.8]), sample_weight=np.array([3.0, 1.0]))
    m.update_state(np.array([[0]]), np.array([[0.7]]))
    assert m.result() == pytest.approx(3 / 5)


# ----- lookup -----------------------------------------------------------------------------------------
def hit_rate(y_true, y_pred):
    return (np.asarray(y_true) == np.round(np.asarray(y_pred))).astype(float)


GET = [
    # (identifier, class, name)
    ("binary_accuracy", metrics.BinaryAccuracy, "binary_accuracy"),
    ("sparse_categorical_accuracy", metrics.SparseCategoricalAccuracy, "sparse_categorical_accuracy"),
    ("categorical_accuracy", metrics.CategoricalAccuracy, "categorical_accuracy"),
    ("top_k_categorical_accuracy", metrics.TopKCategoricalAccuracy, "top_k_categorical_accuracy"),
    ("mse", metrics.MeanSquaredError, "mse"),
    ("mean_squared_error", metrics.MeanSquaredError, "mean_squared_error"),
    ("mae", metrics.MeanAbsoluteError, "mae"),
    ("auc", metrics.AUC, "auc"),
    ("precision", metrics.Precision, "precision"),
    ("recall", metrics.Recall, "recall"),
    ("BinaryAccuracy", metrics.BinaryAccuracy, "binary_accuracy"),
    (metrics.AUC, metrics.AUC, "auc"),
    (hit_rate, metrics.MeanMetricWrapper, "hit_rate"),
    ("binary_crossentropy", metrics.MeanMetricWrapper, "binary_crossentropy"),
]


@pytest.mark.parametrize("identifier, cls, name", GET, ids=lambda v: getattr(v, "__name__", str(v)))
def test_get(identifier, cls, name):
    m = metrics.get(identifier)
    assert type(m) is cls and m.name == name


def test_get_instances_callables_and_unknown_names():
    m = metrics.Recall()
    assert metrics.get(m) is m and metrics.get(None) is None
    wrapped = metrics.get(hit_rate)
    assert wrapped(np.array([1.0, 0.0]), np.array([0.8, 0.6])) == 0.5
    bce = metrics.get("binary_crossentropy")
    assert bce(np.array([[1.0]]), np.array([[0.5]])) == pytest.approx(np.log(2), rel=1e-6)
    with pytest.raises(ValueError, match=r"'accurracy'.*binary_accuracy"):
        metrics.get("accurracy")


@pytest.mark.parametrize("metric", [metrics.BinaryAccuracy(threshold=0.3), metrics.TopKCategoricalAccuracy(k=3),
                                    metrics.AUC(curve="PR", num_thresholds=50), metrics.Precision(thresholds=[0.2, 0.4])],
                         ids=lambda m: m.name)
def test_config_round_trip(metric):
    again = type(metric).from_config(metric.get_config())
    assert again.get_config() == metric.get_config()


def test_unweighted_mean_sums_as_the_weighted_path_does():
    """Mean.update_state without weights skips the weights' array: the same totals as
    weighing every value by one, bit for bit."""
    from glassnet.metrics import Mean

    rng = np.random.default_rng(3)
    batches = [rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n) for n in (1, 7, 32, 129, 1000)]
    batches += [np.array([-0.0, 0.0, 1e300, -1e300, 1e-320]), np.array(2.5), rng.standard_normal((4, 3))]
    fast, weighted = Mean(), Mean()
    for values in batches:
        fast.update_state(values)
        weighted.update_state(values, sample_weight=np.ones(np.shape(values)))
        assert (fast.total, fast.count) == (weighted.total, weighted.count)
    assert np.float64(fast.result()).tobytes() == np.float64(weighted.result()).tobytes()


def test_binary_accuracy_of_one_output_is_each_example_hit():
    rng = np.random.default_rng(4)
    y_true = rng.integers(0, 2, (50, 1)).astype(np.float32)
    y_pred = rng.random((50, 1)).astype(np.float32)
    got = gn.metrics.binary_accuracy(y_true, y_pred)
    expected = (y_true == (y_pred > 0.5)).mean(axis=-1).astype(np.float32)
    assert got.dtype == np.float32 and got.shape == (50,)
    assert got.tobytes() == expected.tobytes()
