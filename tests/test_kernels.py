"""The compiled kernels (glassnet.kernels) give the same bits as the NumPy code they replace,
and glassnet works the same without them."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.ops.probability_losses import (binary_crossentropy_from_probabilities,
                                             sparse_crossentropy_from_probabilities)
from glassnet.optimizers import SGD, Adam, AdamW, RMSprop

needs_kernels = pytest.mark.skipif(not kernels.available(), reason="glassnet was built without its C kernels")
pytestmark = pytest.mark.usefixtures("native_on_where_built")  # each test starts with the kernels on (conftest)


@pytest.fixture
def native_off():
    previous = kernels.use_native(False)
    yield
    kernels.use_native(previous)


def _train(optimizer_factory, dtype, native, steps=25, seed=0):
    """Weights after ``steps`` updates from random gradients (some huge, some tiny)."""
    previous = kernels.use_native(native)
    try:
        rng = np.random.default_rng(seed)
        variables = [gn.Variable(rng.standard_normal(shape).astype(dtype)) for shape in ((7, 5), (5,), (5, 1), (1,))]
        optimizer = optimizer_factory()
        for _ in range(steps):
            grads = [(rng.standard_normal(v.shape) * 10.0 ** rng.integers(-6, 4)).astype(dtype) for v in variables]
            optimizer.apply(grads, variables)
        return [v.numpy() for v in variables], optimizer.get_state()
    finally:
        kernels.use_native(previous)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("factory", [
    lambda: Adam(0.01),
    lambda: Adam(0.003, beta_1=0.8, beta_2=0.99, epsilon=1e-4, amsgrad=True),
    lambda: AdamW(0.01, weight_decay=0.1),
    lambda: RMSprop(),
    lambda: RMSprop(0.01, rho=0.8, momentum=0.9, epsilon=1e-4),
], ids=["adam", "amsgrad", "adamw", "rmsprop", "rmsprop-momentum"])
def test_compiled_optimizers_give_numpys_bits(factory, dtype):
    with_kernels, state_with = _train(factory, dtype, native=True)
    without, state_without = _train(factory, dtype, native=False)
    for a, b in zip(with_kernels, without):
        assert a.dtype == dtype
        assert a.tobytes() == b.tobytes()
    assert state_with.keys() == state_without.keys()
    for name in state_with:
        assert np.asarray(state_with[name]).tobytes() == np.asarray(state_without[name]).tobytes(), name


@needs_kernels
@pytest.mark.parametrize("optimizer, used", [(RMSprop(0.1), True), (RMSprop(0.1, momentum=0.5), True),
                                             (RMSprop(0.1, centered=True), False)])
def test_compiled_rmsprop_serves_all_but_the_centered_one(monkeypatch, optimizer, used):
    calls = []
    native = kernels.native
    monkeypatch.setattr(kernels, "native", type("Spy", (), {
        "rmsprop": lambda self, *a: (calls.append(a), native.rmsprop(*a))[1],
        "all_finite": lambda self, *a: native.all_finite(*a)})())
    w = gn.Variable([1.0, 2.0])
    optimizer.apply([np.ones(2, np.float32)], [w])
    assert len(calls) == used


@needs_kernels
def test_compiled_rmsprop_refuses_what_does_not_fit():
    w, v = np.zeros(4, np.float32), np.zeros(4, np.float32)
    with pytest.raises(ValueError, match="the gradients hold 3 numbers, the weights 4"):
        kernels.native.rmsprop(w, [np.ones(3, np.float32)], v, None, 0.1, 0.9, 0.1, 0.0, 1e-7)
    with pytest.raises(ValueError, match="weights and slots differ"):
        kernels.native.rmsprop(w, [np.ones(4, np.float32)], np.zeros(3, np.float32), None, 0.1, 0.9, 0.1, 0.0, 1e-7)
    with pytest.raises(ValueError, match="a gradient's dtype differs"):
        kernels.native.rmsprop(w, [np.ones(4, np.float64)], v, None, 0.1, 0.9, 0.1, 0.0, 1e-7)
    with pytest.raises(TypeError, match="grads must be a list"):
        kernels.native.rmsprop(w, (np.ones(4, np.float32),), v, None, 0.1, 0.9, 0.1, 0.0, 1e-7)
    np.testing.assert_array_equal(w, 0)  # nothing changed
    np.testing.assert_array_equal(v, 0)


@needs_kernels
def test_compiled_adam_is_used_for_adam_and_not_for_its_subclasses_own_update(monkeypatch):
    calls = []
    native = kernels.native
    monkeypatch.setattr(kernels, "native", type("Spy", (), {"adam": lambda self, *a: (calls.append(a), native.adam(*a))[1]})())
    w = gn.Variable([1.0, 2.0])
    Adam(0.1).apply([np.ones(2, np.float32)], [w])
    assert len(calls) == 1

    class MyAdam(Adam):
        def _update(self, w, grad, slots, scratch, scalars):
            w -= 1.0

    w = gn.Variable([1.0, 2.0])
    MyAdam(0.1).apply([np.ones(2, np.float32)], [w])
    assert len(calls) == 1
    np.testing.assert_array_equal(w.numpy(), [0.0, 1.0])


@needs_kernels
def test_a_gradient_that_is_a_view_of_the_weights_is_read_before_it_changes():
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            w = gn.Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
            optimizer = Adam(0.5)
            optimizer.apply([w.data], [w])  # the gradient is the weights' own array
            results.append(w.numpy())
        finally:
            kernels.use_native(previous)
    assert results[0].tobytes() == results[1].tobytes()


@needs_kernels
def test_the_kernel_refuses_mismatched_buffers_before_writing_anything():
    w, m, v = (np.zeros(4, np.float32) for _ in range(3))
    before = w.copy()
    with pytest.raises(ValueError, match="hold 3 numbers, the weights 4"):
        kernels.native.adam(w, [np.ones(3, np.float32)], m, v, None, 0.1, 0.001, 0.01, 1e-7)
    with pytest.raises(ValueError, match="dtype"):
        kernels.native.adam(w, [np.ones(2, np.float32), np.ones(2, np.float64)], m, v, None, 0.1, 0.001, 0.01, 1e-7)
    with pytest.raises(TypeError, match="contiguous"):
        kernels.native.adam(w, [np.ones(8, np.float32)[::2]], m, v, None, 0.1, 0.001, 0.01, 1e-7)
    with pytest.raises(TypeError, match="float32 or float64"):
        kernels.native.adam(w, [np.ones(4, np.int32)], m, v, None, 0.1, 0.001, 0.01, 1e-7)
    frozen = np.zeros(4, np.float32)
    frozen.setflags(write=False)
    with pytest.raises(TypeError, match="writable"):
        kernels.native.adam(frozen, [np.ones(4, np.float32)], m, v, None, 0.1, 0.001, 0.01, 1e-7)
    np.testing.assert_array_equal(w, before)
    np.testing.assert_array_equal(m, 0.0)


def test_training_without_kernels_matches_training_with_them():
    """A whole fit, bit for bit, with and without the kernels (without only, where not built)."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal((96, 4)).astype(np.float32)
    y = (x[:, :1] + x[:, 1:2] > 0).astype(np.float32)
    weights = []
    for native in ((True, False) if kernels.available() else (False,)):
        previous = kernels.use_native(native)
        try:
            gn.random.set_seed(7)
            model = gn.keras.Sequential([gn.keras.Input((4,)), gn.keras.layers.Dense(5, activation="relu"),
                                         gn.keras.layers.Dense(1, activation="sigmoid")])
            model.compile(loss="binary_crossentropy", optimizer=Adam(0.05), metrics=["accuracy"])
            history = model.fit(x, y, epochs=15, verbose=0)
            weights.append([w.tobytes() for w in model.get_weights()])
        finally:
            kernels.use_native(previous)
    assert history.history["accuracy"][-1] > 0.9
    assert all(w == weights[0] for w in weights)


def test_sgd_has_no_compiled_update_and_works_with_kernels_off(native_off):
    assert kernels.native is None
    w = gn.Variable([1.0, 2.0])
    SGD(0.5).apply([np.ones(2, np.float32)], [w])
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.5])


# ----- max pooling ---------------------------------------------------------------------------
POOLS = [
    ((3, 7, 9, 4), dict(pool_size=(2, 2), strides=(2, 2))),                     # odd sizes: a row and column left out
    ((2, 8, 8, 3), dict(pool_size=(3, 3), strides=(1, 1))),                     # overlapping windows: sums
    ((2, 7, 7, 2), dict(pool_size=(3, 2), strides=(2, 1), padding="same")),     # padding, mixed strides
    ((2, 9, 9, 2), dict(pool_size=(2, 2), strides=(3, 3))),                     # gaps between windows
    ((1, 4, 4, 1), dict(pool_size=(4, 4), strides=(4, 4))),                     # one window
]


def _pool_both_ways(x, grad, native, **kwargs):
    previous = kernels.use_native(native)
    try:
        tensor = gn.tensor(x, requires_grad=True)
        out = gn.nn.max_pool2d(tensor, **kwargs)
        out.backward(gn.tensor(grad(out.shape)))
        return out.numpy(), tensor.grad.numpy()
    finally:
        kernels.use_native(previous)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, kwargs", POOLS)
def test_compiled_max_pooling_gives_numpys_bits(shape, kwargs, dtype):
    rng = np.random.default_rng(sum(shape))
    x = np.maximum(np.round(rng.standard_normal(shape) * 2) / 2, 0).astype(dtype)  # ties, zeros
    x.flat[::7] = -0.0          # -0 beside +0: the tie rule decides which one is the max
    x.flat[3] = np.nan          # a NaN window: NaN out, no gradient routed
    x.flat[-2] = -np.inf
    upstream = rng.standard_normal(10_000).astype(dtype)
    grad = lambda s: upstream[: int(np.prod(s))].reshape(s)  # negative ones give -0 where not routed
    (out_c, gx_c), (out_n, gx_n) = (_pool_both_ways(x, grad, native, **kwargs) for native in (True, False))
    assert out_c.dtype == dtype and gx_c.dtype == dtype
    assert out_c.tobytes() == out_n.tobytes()
    assert gx_c.tobytes() == gx_n.tobytes()


@needs_kernels
def test_max_pooling_recorded_with_kernels_can_go_back_without_them():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((2, 6, 6, 3)).astype(np.float32)
    grad = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)
    results = []
    for switch_off in (False, True):
        previous = kernels.use_native(True)
        try:
            tensor = gn.tensor(x, requires_grad=True)
            out = gn.nn.max_pool2d(tensor)
            kernels.use_native(not switch_off)
            out.backward(gn.tensor(grad))
            results.append(tensor.grad.numpy())
        finally:
            kernels.use_native(previous)
    assert results[0].tobytes() == results[1].tobytes()


@needs_kernels
def test_compiled_max_pooling_1d_and_non_contiguous_inputs():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 10, 8)).astype(np.float32)[:, :, ::2]  # a strided view
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            tensor = gn.tensor(x, requires_grad=True)
            out = gn.nn.max_pool1d(tensor, pool_size=3, strides=2, padding="same")
            gn.sum(out * out).backward()
            results.append((out.numpy().tobytes(), tensor.grad.numpy().tobytes()))
        finally:
            kernels.use_native(previous)
    assert results[0] == results[1]


@needs_kernels
def test_max_pool_kernels_refuse_a_wrong_geometry():
    x = np.zeros((1, 4, 4, 2), np.float32)
    out, first = np.empty((1, 2, 2, 2), np.float32), np.empty((1, 2, 2, 2), np.int32)
    with pytest.raises(ValueError, match="outside the input"):
        kernels.native.maxpool2d_forward(x, out, first, (1, 4, 4, 2, 3, 3, 2, 2, 2, 2))
    with pytest.raises(ValueError, match="do not match"):
        kernels.native.maxpool2d_forward(x, out, first, (1, 4, 4, 1, 2, 2, 2, 2, 2, 2))
    with pytest.raises(TypeError, match="int32"):
        kernels.native.maxpool2d_forward(x, out, first.astype(np.int64), (1, 4, 4, 2, 2, 2, 2, 2, 2, 2))
    with pytest.raises(ValueError, match="strides >= 1"):
        kernels.native.maxpool2d_backward(out, first, x, (1, 4, 4, 2, 2, 2, 2, 2, 0, 2))


# ----- dense: bias, activation and their gradients -------------------------------------------
def _dense_both_ways(x, kernel, bias, activation, upstream, native):
    previous = kernels.use_native(native)
    try:
        tensors = [gn.tensor(a, requires_grad=True) for a in (x, kernel) + ((bias,) if bias is not None else ())]
        out = gn.nn.dense(*tensors, activation=activation)
        out.backward(gn.tensor(upstream))
        return [out.numpy()] + [t.grad.numpy() for t in tensors]
    finally:
        kernels.use_native(previous)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("activation", [None, "relu", "sigmoid", "tanh"])
@pytest.mark.parametrize("rows, features, units, with_bias", [
    (1, 3, 2, True), (7, 5, 1, True), (32, 400, 25, True), (129, 16, 10, True), (256, 64, 1024, True),
    (9, 4, 6, False), (32, 2, 1, True), (130, 3, 1, True), (1000, 3, 1, True),  # one unit: a pairwise column
])
def test_compiled_dense_gives_numpys_bits(rows, features, units, with_bias, activation, dtype):
    rng = np.random.default_rng(rows * units)
    x = rng.standard_normal((rows, features)).astype(dtype)
    x[0, 0] = -0.0
    x[-1] = 0.0  # a row of zeros: relu's ties, and -0 in the gradients
    kernel = (rng.standard_normal((features, units)) * 10.0 ** rng.integers(-3, 2, (1, units))).astype(dtype)
    bias = rng.standard_normal(units).astype(dtype) if with_bias else None
    upstream = rng.standard_normal((rows, units)).astype(dtype)
    with_kernels = _dense_both_ways(x, kernel, bias, activation, upstream, True)
    without = _dense_both_ways(x, kernel, bias, activation, upstream, False)
    for a, b in zip(with_kernels, without):
        assert a.dtype == dtype
        assert a.tobytes() == b.tobytes()


@needs_kernels
@pytest.mark.parametrize("rows", [3, 16, 200])
def test_compiled_bias_gradient_of_one_unit_sums_a_column_of_minus_zeros_as_numpy(rows):
    x = np.zeros((rows, 2), np.float32)
    kernel = np.ones((2, 1), np.float32)
    upstream = np.full((rows, 1), -0.0, np.float32)
    # relu's mask is 0 on the zero outputs: d = -0 * 0 = -0 in every row
    with_kernels = _dense_both_ways(x, kernel, np.zeros(1, np.float32), "relu", upstream, True)
    without = _dense_both_ways(x, kernel, np.zeros(1, np.float32), "relu", upstream, False)
    assert np.signbit(with_kernels[0]).sum() == 0 and with_kernels[3].tobytes() == np.float32(0).tobytes() * 1
    assert all(a.tobytes() == b.tobytes() for a, b in zip(with_kernels, without))


@needs_kernels
def test_compiled_dense_keeps_numpys_nan_and_signed_zero():
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], np.float32)
    kernel = np.array([[np.nan, -0.0, 1.0], [0.0, -0.0, -2.0]], np.float32)
    bias = np.array([0.0, 0.0, 1.0], np.float32)
    upstream = np.array([[1.0, -1.0, 2.0], [-3.0, 0.5, np.inf], [1.0, 1.0, 1.0]], np.float32)
    for activation in ("relu", None):
        with np.errstate(invalid="ignore"):  # NumPy warns of inf * 0; the kernels do not
            results = [_dense_both_ways(x, kernel, bias, activation, upstream, native) for native in (True, False)]
        for a, b in zip(*results):
            assert a.tobytes() == b.tobytes()


@needs_kernels
def test_compiled_dense_on_sequences_and_mixed_dtypes_falls_back_or_matches():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((4, 3, 6)).astype(np.float32)              # Dense over the last axis of 3-D inputs
    kernel = rng.standard_normal((6, 5)).astype(np.float32)
    upstream = rng.standard_normal((4, 3, 5)).astype(np.float32)
    for bias in (rng.standard_normal(5).astype(np.float32), rng.standard_normal(5)):  # float64 bias: NumPy's path
        results = [_dense_both_ways(x, kernel, bias, "relu", upstream, native) for native in (True, False)]
        for a, b in zip(*results):
            assert a.tobytes() == b.tobytes()


@needs_kernels
def test_dense_kernels_refuse_mismatched_arrays():
    z = np.zeros((2, 3), np.float32)
    with pytest.raises(ValueError, match="bias"):
        kernels.native.bias_act(z, np.zeros(4, np.float32), 1)
    with pytest.raises(ValueError, match="matrix"):
        kernels.native.bias_act(np.zeros(3, np.float32), None, 1)
    with pytest.raises(ValueError, match="mode"):
        kernels.native.bias_act(z, None, 4)
    with pytest.raises(ValueError, match="outputs"):
        kernels.native.dense_grad(z, np.zeros((3, 2), np.float64), 1, np.empty_like(z), None)
    with pytest.raises(ValueError, match="activation code"):
        kernels.native.dense_grad(z, z, 7, np.empty_like(z), None)


# ----- the finite check before each step ------------------------------------------------------
@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, None])
def test_all_finite_agrees_with_numpy(dtype, bad):
    from glassnet.training.numerics import arrays_finite

    info = np.finfo(dtype)
    arrays = [np.array([info.max, -info.max, info.tiny / 4, -0.0], dtype), np.ones((3000, 3), dtype)]
    if bad is not None:
        arrays[1][2999, 2] = bad  # the very last number of the last array
    expected = all(np.isfinite(a).all() for a in arrays)
    assert kernels.native.all_finite(arrays) is expected
    assert arrays_finite(arrays) is expected


@needs_kernels
def test_all_finite_hands_other_arrays_back_to_numpy():
    from glassnet.training.numerics import arrays_finite

    assert kernels.native.all_finite([np.ones(3, np.int64)]) is None
    assert kernels.native.all_finite([np.ones(6, np.float32)[::2]]) is None
    strided = np.ones(6, np.float32)
    strided[1] = np.nan  # not among the viewed elements
    assert arrays_finite([strided[::2], np.ones(2, np.int32)]) is True


# ----- convolutions: the activation's gradient ---------------------------------------------
@needs_kernels
@pytest.mark.parametrize("activation", ["relu", "sigmoid", "tanh", None])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("options", [dict(padding="same"), dict(strides=(2, 1)), dict(dilation_rate=(2, 2)),
                                     dict(strides=2, padding="same")])
# 27, 36 and 9 columns; then 3x3 kernels that Winograd's transforms take (ops/winograd.py):
# at stride 1 both ways, then the input's gradient only
@pytest.mark.parametrize("channels, filters", [(3, 4), (4, 1), (1, 2), (8, 16), (16, 8)])
def test_compiled_conv_gradients_give_numpys_bits(activation, dtype, options, channels, filters):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((5, 9, 8, channels)).astype(dtype)
    kernel = rng.standard_normal((3, 3, channels, filters)).astype(dtype)
    bias = rng.standard_normal(filters).astype(dtype)
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            tensors = [gn.tensor(a, requires_grad=True) for a in (x, kernel, bias)]
            out = gn.nn.conv2d(*tensors, activation=activation, **options)
            gn.sum(out * out).backward()
            results.append([out.numpy().tobytes()] + [t.grad.numpy().tobytes() for t in tensors])
        finally:
            kernels.use_native(previous)
    assert results[0] == results[1]


# ----- sparse softmax cross-entropy ----------------------------------------------------------
def _xent_both_ways(labels, logits, upstream, native):
    previous = kernels.use_native(native)
    try:
        tensor = gn.tensor(logits, requires_grad=True)
        loss = gn.nn.sparse_softmax_cross_entropy_with_logits(labels, tensor)
        loss.backward(gn.tensor(upstream))
        return loss.numpy(), tensor.grad.numpy()
    finally:
        kernels.use_native(previous)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("rows, classes", [(1, 1), (3, 2), (32, 4), (32, 7), (32, 8), (33, 10), (5, 17),
                                           (4, 128), (3, 129), (2, 1000)])
def test_compiled_sparse_cross_entropy_gives_numpys_bits(rows, classes, dtype):
    rng = np.random.default_rng(rows * classes)
    logits = (rng.standard_normal((rows, classes)) * 10.0 ** rng.integers(-2, 3, (rows, 1))).astype(dtype)
    logits[0, 0] = 1e4 if classes > 1 else 0.0   # one row with a certain answer
    logits[-1, -1] = -0.0
    labels = rng.integers(0, classes, rows)
    upstream = rng.standard_normal(rows).astype(dtype)
    (loss_c, grad_c), (loss_n, grad_n) = (_xent_both_ways(labels, logits, upstream, native) for native in (True, False))
    assert loss_c.dtype == dtype and grad_c.dtype == dtype
    assert loss_c.tobytes() == loss_n.tobytes()
    assert grad_c.tobytes() == grad_n.tobytes()


@needs_kernels
def test_compiled_sparse_cross_entropy_reports_bad_labels_as_numpy_does():
    logits = np.zeros((3, 4), np.float32)
    for labels in ([0, 4, 1], [0, -1, 1]):
        with pytest.raises(ValueError, match=r"labels must be in \[0, 4\)"):
            gn.nn.sparse_softmax_cross_entropy_with_logits(np.array(labels), logits)
    loss = gn.nn.sparse_softmax_cross_entropy_with_logits(np.array([0, 3, 1], np.uint8), logits)
    np.testing.assert_allclose(loss.numpy(), np.log(4.0), rtol=1e-6)


@needs_kernels
def test_the_cross_entropy_kernel_refuses_bad_calls():
    with pytest.raises(TypeError, match="stage"):
        kernels.native.xent_step(5, np.zeros((2, 2), np.float32))
    with pytest.raises(IndexError, match="label 2"):
        kernels.native.xent_step(3, np.zeros((1, 2), np.float32), np.zeros(1, np.float32),
                                 np.array([2]), np.zeros(1, np.float32))
    with pytest.raises(TypeError, match="int64"):
        kernels.native.xent_step(4, np.zeros((1, 2), np.float32), np.array([1], np.int32), np.ones(1, np.float32))


def _softmax_both_ways(x, axis, upstream, native):
    previous = kernels.use_native(native)
    try:
        t = gn.tensor(x, requires_grad=True)
        out = gn.nn.softmax(t, axis=axis)
        gn.sum(out * upstream).backward()
        return out.numpy(), t.grad.numpy()
    finally:
        kernels.use_native(previous)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((1, 1), -1), ((32, 10), -1), ((33, 8), 1), ((5, 7), -1), ((4, 129), -1),
                                         ((2, 3, 17), -1), ((6,), 0), ((2, 1000), -1), ((3, 4, 5), 1)])
def test_compiled_softmax_gives_numpys_bits(shape, axis, dtype):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 3)).astype(dtype)
    x.flat[0] = 1e4   # a certain answer, and exp's underflow to 0 beside it
    x.flat[-1] = -0.0
    upstream = rng.standard_normal(shape).astype(dtype)
    (out_c, grad_c), (out_n, grad_n) = (_softmax_both_ways(x, axis, upstream, native) for native in (True, False))
    assert out_c.dtype == dtype and grad_c.dtype == dtype
    assert out_c.tobytes() == out_n.tobytes() and grad_c.tobytes() == grad_n.tobytes()


@needs_kernels
def test_compiled_softmax_keeps_nan_and_infinities_as_numpy_does():
    x = np.array([[np.nan, 0.0, 1.0], [np.inf, 0.0, 1.0], [-np.inf, 0.0, 1.0], [-np.inf, -np.inf, -np.inf]], np.float32)
    with np.errstate(invalid="ignore"):
        (out_c, _), (out_n, _) = (_softmax_both_ways(x, -1, np.ones_like(x), native) for native in (True, False))
    assert out_c.tobytes() == out_n.tobytes()
    assert np.isnan(out_c[0]).all() and out_c[2].tolist() == pytest.approx([0.0, 0.2689414, 0.7310586])


@needs_kernels
def test_the_softmax_kernel_refuses_bad_calls():
    y = np.full((2, 3), 1 / 3, np.float32)
    with pytest.raises(TypeError, match="stage"):
        kernels.native.softmax_step(3, y)
    with pytest.raises(ValueError, match="matrices"):
        kernels.native.softmax_step(1, np.ones(3, np.float32))
    with pytest.raises(ValueError, match="dtype or size"):
        kernels.native.softmax_step(2, np.ones((2, 3), np.float32), y, np.empty((2, 3), np.float64))
    grad = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="new array"):
        kernels.native.softmax_step(2, grad, y, grad)
    assert grad.tolist() == [[1.0] * 3] * 2   # refused before anything was written


# ----- binary cross-entropy from probabilities -----------------------------------------------
def _loss_both_ways(loss_fn, labels, probs, upstream):
    """``[(losses, gradient)]`` of ``loss_fn(labels, probs, 1e-7)`` with the kernels, then without."""
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            tensor = gn.tensor(probs, requires_grad=True)
            loss = loss_fn(labels, tensor, 1e-7)
            loss.backward(gn.tensor(upstream))
            results.append((loss.numpy(), tensor.grad.numpy()))
        finally:
            kernels.use_native(previous)
    return results


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (32, 1), (7, 3)])
def test_compiled_binary_cross_entropy_gives_numpys_bits(shape, dtype):
    rng = np.random.default_rng(int(np.prod(shape)))
    probs = rng.uniform(0, 1, shape).astype(dtype)
    probs.flat[0] = 0.0                     # clipped below
    probs.flat[-1] = 1.0                    # clipped above
    labels = rng.integers(0, 2, shape)      # integers: converted as NumPy's code converts them
    upstream = rng.standard_normal(shape).astype(dtype)
    for a, b in zip(*_loss_both_ways(binary_crossentropy_from_probabilities, labels, probs, upstream)):
        assert a.dtype == dtype
        assert a.tobytes() == b.tobytes()


@needs_kernels
def test_compiled_binary_cross_entropy_keeps_nan_and_the_clip():
    probs = np.array([np.nan, 1e-9, 0.5, 1 - 1e-9], np.float32)
    labels = np.array([1.0, 1.0, 0.0, 0.0], np.float32)
    results = [grad for _, grad in _loss_both_ways(binary_crossentropy_from_probabilities, labels, probs,
                                                   np.ones_like(probs))]
    assert results[0].tobytes() == results[1].tobytes()
    assert np.isnan(results[0][0]) and results[0][1] == 0 and results[0][3] == 0  # no gradient where clipped


# ----- softmax cross-entropy of one-hot or soft labels, from logits ------------------------------
@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, axis", [((32, 10), -1), ((5, 3), 1), ((4, 1), -1), ((2, 3, 4), -1), ((6, 5), 0)])
def test_compiled_softmax_cross_entropy_gives_numpys_bits(shape, axis, dtype):
    rng = np.random.default_rng(sum(shape))
    logits = (rng.standard_normal(shape) * 10.0 ** rng.integers(-2, 3)).astype(dtype)
    logits.flat[0] = 1e4  # a certain answer
    labels = rng.uniform(0, 1, shape).astype(dtype)
    upstream = rng.standard_normal(np.delete(np.array(shape), axis % len(shape)).tolist()).astype(dtype)
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            x, y = gn.tensor(logits, requires_grad=True), gn.tensor(labels, requires_grad=True)
            loss = gn.nn.softmax_cross_entropy_with_logits(y, x, axis=axis)
            loss.backward(gn.tensor(upstream))
            results.append([a.tobytes() for a in (loss.numpy(), x.grad.numpy(), y.grad.numpy())])
        finally:
            kernels.use_native(previous)
    assert results[0] == results[1]


# ----- binary cross-entropy from logits --------------------------------------------------------
def _sigmoid_xent_both_ways(labels, logits, upstream):
    return _loss_both_ways(lambda z, t, _: gn.nn.sigmoid_cross_entropy_with_logits(z, t), labels, logits, upstream)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1,), (32, 1), (7, 3), (2, 3, 4)])
def test_compiled_sigmoid_cross_entropy_gives_numpys_bits(shape, dtype):
    rng = np.random.default_rng(int(np.prod(shape)))
    logits = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4)).astype(dtype)
    logits.flat[0], logits.flat[-1] = -0.0, 0.0     # NumPy's abs and maximum on signed zeros
    labels = rng.uniform(0, 1, shape)               # float64: converted as NumPy's code converts them
    upstream = rng.standard_normal(shape).astype(dtype)
    (loss_c, grad_c), (loss_n, grad_n) = _sigmoid_xent_both_ways(labels, logits, upstream)
    assert loss_c.dtype == dtype and grad_c.dtype == dtype
    assert loss_c.tobytes() == loss_n.tobytes() and grad_c.tobytes() == grad_n.tobytes()


@needs_kernels
def test_compiled_sigmoid_cross_entropy_keeps_nan_and_infinities():
    logits = np.array([np.nan, np.inf, -np.inf, 1e4, -1e4, -0.0], np.float32)
    labels = np.array([1, 0, 1, 0, 1, 1], np.float32)
    with np.errstate(invalid="ignore"):
        (loss_c, grad_c), (loss_n, grad_n) = _sigmoid_xent_both_ways(labels, logits, np.ones_like(logits))
    assert loss_c.tobytes() == loss_n.tobytes() and grad_c.tobytes() == grad_n.tobytes()
    assert loss_c[3] == 1e4 and loss_c[5] == pytest.approx(np.log(2)) and grad_c[5] == -0.5


# ----- sparse cross-entropy from probabilities -----------------------------------------------
def _sparse_probs_both_ways(labels, probs, upstream):
    return _loss_both_ways(sparse_crossentropy_from_probabilities, labels, probs, upstream)


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (5,), (32, 10), (7, 3), (2, 3, 4), (3, 130)])
def test_compiled_sparse_cross_entropy_from_probabilities_gives_numpys_bits(shape, dtype):
    rng = np.random.default_rng(int(np.prod(shape)))
    probs = rng.uniform(0, 1, shape).astype(dtype)
    probs.flat[0] = 0.0                     # clipped below
    probs.flat[-1] = 1.0                    # clipped above
    labels = rng.integers(0, shape[-1], shape[:-1]).astype(np.uint8)   # converted as NumPy's code converts them
    upstream = rng.standard_normal(shape[:-1]).astype(dtype)
    (loss_c, grad_c), (loss_n, grad_n) = _sparse_probs_both_ways(labels, probs, upstream)
    assert loss_c.dtype == dtype and grad_c.dtype == dtype
    assert loss_c.tobytes() == loss_n.tobytes() and grad_c.tobytes() == grad_n.tobytes()


@needs_kernels
def test_compiled_sparse_cross_entropy_from_probabilities_keeps_nan_and_the_clip():
    probs = np.array([[np.nan, 0.5], [1e-9, 0.5], [0.5, 1 - 1e-9], [0.25, 0.75]], np.float32)
    labels = np.array([1, 0, 1, 1])
    (loss_c, grad_c), (loss_n, grad_n) = _sparse_probs_both_ways(labels, probs, np.ones(4, np.float32))
    assert loss_c.tobytes() == loss_n.tobytes() and grad_c.tobytes() == grad_n.tobytes()
    assert np.isnan(loss_c[0]) and np.isnan(grad_c[0]).all()
    assert grad_c[1, 0] == 0 and grad_c[2, 1] == 0          # no gradient where the clip binds
    np.testing.assert_allclose(grad_c[3], [1.0, 1.0 - 1 / 0.75], rtol=1e-6)
    with pytest.raises(ValueError, match=r"labels must be in \[0, 2\)"):
        sparse_crossentropy_from_probabilities(np.array([0, 2, 1, 1]), probs, 1e-7)


@needs_kernels
def test_compiled_dense_sigmoid_at_the_extremes():
    x = np.array([[1.0], [-1.0], [0.0], [np.nan]], np.float32)
    kernel = np.array([[1e4, -1e4, 1.0]], np.float32)
    upstream = np.ones((4, 3), np.float32)
    with np.errstate(invalid="ignore"):
        results = [_dense_both_ways(x, kernel, np.zeros(3, np.float32), "sigmoid", upstream, native)
                   for native in (True, False)]
    for a, b in zip(*results):
        assert a.tobytes() == b.tobytes()
    np.testing.assert_allclose(results[0][0][:3], [[1, 0, 0.7310586], [0, 1, 0.2689414], [0.5, 0.5, 0.5]], rtol=1e-6)
    assert np.isnan(results[0][0][3]).all()


@needs_kernels
@pytest.mark.parametrize("dtype, safe", [(np.float32, 88.0), (np.float64, 709.0)])
def test_sigmoid_negation_reports_values_where_exp_could_overflow(dtype, safe):
    """Below the bound np.exp cannot overflow, so the forward skips np.errstate there."""
    for values, above in (([-safe, 0.0, np.nan, 3.0], False), ([np.nextafter(-safe, -np.inf, dtype=dtype)], True),
                          ([1.0, -np.inf], True), ([-1e30, 2.0], True)):
        z = np.array([values], dtype)
        assert kernels.native.bias_act(z, None, 2) is above
        np.testing.assert_array_equal(z, -np.array([values], dtype))
        assert np.isfinite(np.exp(z[z <= safe])).all()
    assert kernels.native.bias_act(np.zeros((2, 2), dtype), None, 0) is None


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_compiled_dense_sigmoid_warns_as_numpy_does_near_overflow(dtype):
    """Outputs just short of and past exp's overflow: the same bits both ways, and no warning."""
    import warnings

    x = np.linspace(-1, 1, 64, dtype=dtype).reshape(-1, 1)
    for kernel in ([[87.9, -87.9, 3.0]], [[88.1, 709.5, 1e4]]):  # under the bound (no errstate); past it
        kernel = np.array(kernel, dtype)
        results = []
        for native in (True, False):
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                results.append(_dense_both_ways(x, kernel, np.zeros(3, dtype), "sigmoid", np.ones((64, 3), dtype), native))
        for a, b in zip(*results):
            assert a.tobytes() == b.tobytes()


@needs_kernels
def test_compiled_conv1d_input_gradient_gives_numpys_bits():
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 20, 2)).astype(np.float32)
    kernel = rng.standard_normal((5, 2, 3)).astype(np.float32)
    results = []
    for native in (True, False):
        previous = kernels.use_native(native)
        try:
            tensor = gn.tensor(x, requires_grad=True)
            out = gn.nn.conv1d(tensor, gn.tensor(kernel), strides=2, padding="same")
            gn.sum(out * out).backward()
            results.append(tensor.grad.numpy().tobytes())
        finally:
            kernels.use_native(previous)
    assert results[0] == results[1]


@needs_kernels
def test_col2im_refuses_a_wrong_geometry():
    cols, gx = np.zeros((9, 4, 1), np.float32), np.zeros((1, 4, 4, 1), np.float32)
    kernels.native.col2im(cols, gx, (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="outside the input"):
        kernels.native.col2im(cols, gx, (1, 4, 4, 1, 2, 2, 3, 3, 2, 1, 1, 1))
    with pytest.raises(ValueError, match="columns"):
        kernels.native.col2im(cols[:8], gx, (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1))


@needs_kernels
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("channels, kernel_size, strides, dilation", [
    (1, (3, 3), (1, 1), (1, 1)), (1, (2, 3), (2, 1), (1, 2)), (3, (3, 3), (1, 1), (1, 1)),
    (4, (2, 2), (2, 2), (2, 1)), (32, (3, 3), (1, 1), (1, 1)),
    # one channel, three wide (an unrolled copy) with strides, row dilation, or columns dilated (not unrolled)
    (1, (3, 3), (2, 2), (1, 1)), (1, (2, 3), (1, 2), (2, 1)), (1, (3, 3), (1, 1), (1, 2)),
])
def test_compiled_im2col_copies_what_numpy_copies(dtype, channels, kernel_size, strides, dilation):
    from glassnet.ops.conv_blocks import columns

    x = np.random.default_rng(12).standard_normal((3, 9, 8, channels)).astype(dtype)
    x[0, 0, 0, 0] = np.nan
    out_shape = tuple((size - d * (k - 1) - 1) // s + 1
                      for size, k, s, d in zip(x.shape[1:3], kernel_size, strides, dilation))
    width = kernel_size[0] * kernel_size[1] * channels
    results = []
    for native in (True, False):
        scratch = np.full((3 * out_shape[0] * out_shape[1] + 5, width + 1), 7.0, dtype)  # rows to spare, a column beside
        previous = kernels.use_native(native)
        try:
            cols = columns(np, x, kernel_size, out_shape, strides, dilation, scratch, width)
        finally:
            kernels.use_native(previous)
        assert cols.shape == (3 * out_shape[0] * out_shape[1], width)
        results.append(scratch.tobytes())  # the spare rows and the column beside untouched too
    assert results[0] == results[1]


@needs_kernels
def test_im2col_refuses_a_wrong_geometry():
    x, cols = np.zeros((1, 4, 4, 1), np.float32), np.zeros((4, 10), np.float32)
    kernels.native.im2col(x, cols, (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 10))
    with pytest.raises(ValueError, match="outside the input"):
        kernels.native.im2col(x, cols, (1, 4, 4, 1, 2, 2, 3, 3, 2, 1, 1, 1, 10))
    with pytest.raises(ValueError, match="rows are too short"):
        kernels.native.im2col(x, cols, (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 8))
    with pytest.raises(ValueError, match="too few"):
        kernels.native.im2col(x, cols[:3], (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 10))
    with pytest.raises(ValueError, match="dtype differs"):
        kernels.native.im2col(x, cols.astype(np.float64), (1, 4, 4, 1, 2, 2, 3, 3, 1, 1, 1, 1, 10))
