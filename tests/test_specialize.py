"""Specialized rules (Function.specialize) give their op's general rules bit for bit, say no
where their choices do not hold, and a replayed step remakes them when the kernels change."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import kernels
from glassnet.autograd.function import REGISTRY, Function
from glassnet.autograd.replay import StepPlan
from glassnet.ops.linalg import Dense
from glassnet.ops.losses import SparseSoftmaxCrossEntropyWithLogits
from glassnet.ops.losses import SigmoidCrossEntropyWithLogits
from glassnet.ops.probability_losses import BinaryCrossentropyFromProbabilities, SparseCrossentropyFromProbabilities
from glassnet.ops.reduction import Mean
from glassnet.ops.shape import Reshape
from glassnet.ops.softmax_ops import Softmax

pytestmark = [pytest.mark.skipif(not kernels.available(), reason="glassnet was built without its C kernels"),
              pytest.mark.usefixtures("native_on_where_built")]  # conftest


def _dense(rng, dtype, rows=32, features=3, units=4, bias=True, scale=1.0):
    arrays = [(rng.standard_normal((rows, features)) * scale).astype(dtype),
              rng.standard_normal((features, units)).astype(dtype)]
    return arrays + [rng.standard_normal(units).astype(dtype)] if bias else arrays


def _labels_and_logits(rng, dtype, label_dtype=np.int64, rows=32, classes=10):
    return [rng.integers(0, classes, rows).astype(label_dtype), rng.standard_normal((rows, classes)).astype(dtype)]


def _clipped_rows(rng, dtype, shape):
    probs = rng.dirichlet(np.ones(shape[1]), shape[0]).astype(dtype)
    probs[0] = 0.0  # where the clip binds
    probs[1, 0] = 1.0
    return probs


def _labels_and_probs(rng, dtype, shape=(32, 1), label_dtype=None):
    probs = rng.uniform(0, 1, shape).astype(dtype)
    probs.flat[:2] = (0.0, 1.0)  # where the clip binds
    return [rng.integers(0, 2, shape).astype(label_dtype or dtype), probs]


# (op, attrs, inputs from (rng, dtype), needs_grad): each specialization against its general rules
CASES = {
    "dense relu": (Dense, {"activation": "relu"}, _dense, (False, True, True)),
    "dense relu, input gradient": (Dense, {"activation": "relu"}, _dense, (True, True, True)),
    "dense sigmoid": (Dense, {"activation": "sigmoid"}, _dense, (True, True, True)),
    "dense sigmoid overflowing": (Dense, {"activation": "sigmoid"},
                                  lambda rng, dtype: _dense(rng, dtype, scale=1e3), (True, True, True)),
    "dense linear": (Dense, {"activation": None}, _dense, (True, True, True)),
    "dense linear one unit": (Dense, {"activation": None}, lambda rng, dtype: _dense(rng, dtype, rows=130, units=1),
                              (True, True, True)),
    "dense relu one unit": (Dense, {"activation": "relu"}, lambda rng, dtype: _dense(rng, dtype, rows=130, units=1),
                            (True, True, True)),
    "dense no bias": (Dense, {"activation": "relu"}, lambda rng, dtype: _dense(rng, dtype, bias=False), (True, True)),
    "dense frozen kernel": (Dense, {"activation": "relu"}, _dense, (True, False, True)),
    "dense one row": (Dense, {"activation": "sigmoid"}, lambda rng, dtype: _dense(rng, dtype, rows=1),
                      (False, True, True)),
    "mean of a batch": (Mean, {"axis": None, "keepdims": False}, lambda rng, dtype: [rng.standard_normal(32).astype(dtype)],
                        (True,)),
    "mean of a matrix": (Mean, {}, lambda rng, dtype: [rng.standard_normal((7, 3)).astype(dtype)], (True,)),
    "sparse softmax cross-entropy": (SparseSoftmaxCrossEntropyWithLogits, {}, _labels_and_logits, (False, True)),
    "sparse softmax cross-entropy, uint8 labels": (
        SparseSoftmaxCrossEntropyWithLogits, {},
        lambda rng, dtype: _labels_and_logits(rng, dtype, np.uint8, rows=5, classes=3), (False, True)),
    "binary cross-entropy": (BinaryCrossentropyFromProbabilities, {"epsilon": 1e-7}, _labels_and_probs,
                             (False, True)),
    "binary cross-entropy, integer labels": (
        BinaryCrossentropyFromProbabilities, {"epsilon": 1e-7},
        lambda rng, dtype: _labels_and_probs(rng, dtype, (9,), np.int64), (False, True)),
    "sigmoid cross-entropy": (SigmoidCrossEntropyWithLogits, {},
                              lambda rng, dtype: [rng.integers(0, 2, (32, 1)).astype(dtype),
                                                  (rng.standard_normal((32, 1)) * 50).astype(dtype)], (False, True)),
    "softmax": (Softmax, {"axis": -1}, lambda rng, dtype: [(rng.standard_normal((32, 10)) * 30).astype(dtype)], (True,)),
    "softmax of one row": (Softmax, {"axis": 1}, lambda rng, dtype: [rng.standard_normal((1, 3)).astype(dtype)], (True,)),
    "sparse cross-entropy of probabilities": (
        SparseCrossentropyFromProbabilities, {"epsilon": 1e-7},
        lambda rng, dtype: [rng.integers(0, 4, 16), _clipped_rows(rng, dtype, (16, 4))], (False, True)),
    "reshape a column": (Reshape, {"shape": (-1,)}, lambda rng, dtype: [rng.standard_normal((32, 1)).astype(dtype)],
                         (True,)),
    "reshape to rows": (Reshape, {"shape": (-1, 6)}, lambda rng, dtype: [rng.standard_normal((4, 3, 2)).astype(dtype)],
                        (True,)),
}


def _context(op, attrs, needs):
    ctx = object.__new__(op)
    ctx.xp, ctx.needs_grad, ctx.attrs = np, needs, attrs
    return ctx


def _both_ways(op, attrs, arrays, needs, upstream):
    """(output, gradients) by the general rules, then by the specialized ones."""
    results, grad = [], None
    rules = op.specialize(attrs, tuple((a.shape, a.dtype) for a in arrays), needs)
    assert rules is not None
    for forward, backward in ((lambda ctx, *a: op.forward(ctx, *a, **attrs), op.backward), rules):
        ctx = _context(op, attrs, needs)
        out = forward(ctx, *arrays)
        grad = upstream(out) if grad is None else grad  # one upstream gradient for both
        grads = backward(ctx, grad)
        results.append((out, grads if isinstance(grads, tuple) or forward is rules[0] else (grads,)))
    return results


def _same_bits(a, b):
    if a is None or b is None:
        return a is None and b is None
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("case", sorted(CASES))
def test_specialized_rules_give_the_general_rules_bits(case, dtype):
    op, attrs, make, needs = CASES[case]
    rng = np.random.default_rng(7)
    arrays = make(rng, dtype)
    upstream = (lambda out: rng.standard_normal(out.shape).astype(out.dtype)) if op is not Mean \
        else (lambda out: np.array(1.5, out.dtype))
    (general_out, general_grads), (special_out, special_grads) = _both_ways(op, attrs, arrays, needs, upstream)
    assert _same_bits(general_out, special_out)
    assert len(general_grads) == len(special_grads)
    assert all(_same_bits(a, b) for a, b in zip(general_grads, special_grads))
    # the contract the replay relies on to skip wrapping and conforming: one entry per input,
    # each None or shaped and typed as its input
    assert type(special_grads) is tuple and len(special_grads) >= len(arrays)
    for grad, array in zip(special_grads, arrays):
        assert grad is None or (grad.shape == array.shape and grad.dtype == array.dtype)


def test_every_specialization_is_compared_with_its_general_rules():
    specialized = {name for name, op in REGISTRY.items() if op.specialize.__func__ is not Function.specialize.__func__}
    covered = {op.__name__ for op, *_ in CASES.values()}
    assert specialized <= covered, f"specializations without a bits test: {sorted(specialized - covered)}"


def test_specialized_rules_fall_back_on_the_general_ones():
    rng = np.random.default_rng(3)
    x, kernel, bias = _dense(rng, np.float32)
    forward, backward = Dense.specialize({"activation": "relu"}, ((x.shape, x.dtype), (kernel.shape, kernel.dtype),
                                                                 (bias.shape, bias.dtype)), (True, True, True))
    strided_bias = np.repeat(bias, 2)[::2]  # not contiguous: the kernels would refuse it
    general = _context(Dense, {"activation": "relu"}, (True, True, True))
    special = _context(Dense, {"activation": "relu"}, (True, True, True))
    assert _same_bits(Dense.forward(general, x, kernel, strided_bias, activation="relu"),
                      forward(special, x, kernel, strided_bias))
    grad = np.asfortranarray(rng.standard_normal((32, 4)).astype(np.float32))  # not C-contiguous
    assert all(map(_same_bits, Dense.backward(general, grad), backward(special, grad)))
    labels, logits = _labels_and_logits(rng, np.float32, rows=4, classes=3)
    forward, _ = SparseSoftmaxCrossEntropyWithLogits.specialize({}, ((labels.shape, labels.dtype),
                                                                     (logits.shape, logits.dtype)), (False, True))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        forward(_context(SparseSoftmaxCrossEntropyWithLogits, {}, (False, True)), np.array([0, 1, 3, 2]), logits)
    probs = _clipped_rows(rng, np.float32, (4, 3))
    forward, _ = SparseCrossentropyFromProbabilities.specialize(
        {"epsilon": 1e-7}, ((labels.shape, labels.dtype), (probs.shape, probs.dtype)), (False, True))
    with pytest.raises(ValueError, match=r"labels must be in \[0, 3\)"):
        forward(_context(SparseCrossentropyFromProbabilities, {}, (False, True)), np.array([0, -1, 1, 2]), probs)


@pytest.mark.parametrize("op, attrs, inputs", [
    (Dense, {"activation": "tanh"}, (((4, 3), np.dtype("float32")), ((3, 2), np.dtype("float32")))),
    (Dense, {"activation": "relu"}, (((2, 4, 3), np.dtype("float32")), ((3, 2), np.dtype("float32")))),
    (Dense, {"activation": "relu"}, (((4, 3), np.dtype("float64")), ((3, 2), np.dtype("float32")))),
    (Dense, {"activation": None}, (((0, 3), np.dtype("float32")), ((3, 2), np.dtype("float32")))),
    (Mean, {"axis": 0}, (((4, 3), np.dtype("float32")),)),
    (Mean, {"keepdims": True}, (((4,), np.dtype("float32")),)),
    (Mean, {}, (((4,), np.dtype("int64")),)),
    (Mean, {}, (((), np.dtype("float32")),)),
    (Mean, {}, (((4,), None),)),  # NumPy compares None equal to float64
    (Dense, {"activation": "relu"}, (((4, 3), np.dtype("float64")), ((3, 2), np.dtype("float64")), ((2,), None))),
    (SparseSoftmaxCrossEntropyWithLogits, {}, (((4,), np.dtype("int64")), ((4, 3), None))),
    (BinaryCrossentropyFromProbabilities, {"epsilon": 1e-7}, (((4,), np.dtype("float64")), ((4,), None))),
    (SigmoidCrossEntropyWithLogits, {}, (((4, 2), np.dtype("float32")), ((4, 1), np.dtype("float32")))),
    (Reshape, {"shape": (5, -1)}, (((4, 3), np.dtype("float32")),)),
    (Softmax, {"axis": 0}, (((4, 3), np.dtype("float32")),)),
    (Softmax, {"axis": -1}, (((2, 4, 3), np.dtype("float32")),)),
    (SparseCrossentropyFromProbabilities, {"epsilon": 1e-7}, (((4,), np.dtype("float32")),
                                                              ((4, 3), np.dtype("float32")))),
    (SparseCrossentropyFromProbabilities, {"epsilon": 1e-7}, (((2, 4), np.dtype("int64")),
                                                              ((2, 4, 3), np.dtype("float32")))),
    (Reshape, {"shape": (-1, -1)}, (((4, 3), np.dtype("float32")),)),
    (SparseSoftmaxCrossEntropyWithLogits, {}, (((2, 4), np.dtype("int64")), ((2, 4, 3), np.dtype("float32")))),
    (SparseSoftmaxCrossEntropyWithLogits, {}, (((4,), np.dtype("float32")), ((4, 3), np.dtype("float32")))),
    (BinaryCrossentropyFromProbabilities, {"epsilon": 1e-7}, (((), np.dtype("float32")), ((), np.dtype("float32")))),
])
def test_no_specialization_where_its_choices_do_not_hold(op, attrs, inputs):
    needs = (False,) * (len(inputs) - 1) + (True,)
    assert op.specialize(attrs, inputs, needs) is None


def test_no_specialized_sigmoid_cross_entropy_when_the_labels_need_a_gradient():
    inputs = (((4, 1), np.dtype("float32")), ((4, 1), np.dtype("float32")))
    assert SigmoidCrossEntropyWithLogits.specialize({}, inputs, (True, True)) is None


@pytest.mark.parametrize("case", ["dense relu", "sparse softmax cross-entropy", "binary cross-entropy",
                                  "sigmoid cross-entropy", "softmax", "sparse cross-entropy of probabilities"])
def test_no_specialization_of_a_kernels_path_without_the_kernels(case):
    op, attrs, make, needs = CASES[case]
    inputs = tuple((a.shape, a.dtype) for a in make(np.random.default_rng(0), np.float32))
    assert op.specialize(attrs, inputs, needs) is not None
    kernels.use_native(False)
    assert op.specialize(attrs, inputs, needs) is None


def _regression_plan(dtype=np.float32):
    rng = np.random.default_rng(5)
    x = rng.standard_normal((16, 3)).astype(dtype)
    kernel = gn.Variable(rng.standard_normal((3, 4)), dtype=dtype)
    bias = gn.Variable(np.zeros(4), dtype=dtype)
    loss = gn.mean(gn.nn.dense(gn.tensor(x), kernel, bias, activation="sigmoid"))
    return StepPlan.record(loss, (x,), [kernel, bias]), x, [kernel, bias]


def test_a_replay_remakes_its_rules_when_the_kernels_change():
    plan, x, variables = _regression_plan()
    with_kernels = plan.run((x,), variables)
    assert "# Dense (specialized)" in plan.source
    kernels.use_native(False)
    without = plan.run((x,), variables)
    assert "# Dense (specialized)" not in plan.source and "# Dense\n" in plan.source
    for a, b in zip([with_kernels[0], *with_kernels[1]], [without[0], *without[1]]):
        assert _same_bits(a, b)  # the kernels give NumPy's bits
    kernels.use_native(True)
    plan.run((x,), variables)
    assert "# Dense (specialized)" in plan.source
