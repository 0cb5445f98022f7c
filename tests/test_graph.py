"""The reverse pass as users see it: ``backward()``, graph shapes (chains, fan-out,
diamonds), accumulation, freed graphs, un-broadcasting, ``retain_grad``,
``no_grad`` and ``detach``.
"""

import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import GraphFreedError, topological_order


class Counted(gn.Function, register=False):
    """z = 2x, counting how often its backward rule runs."""

    calls = 0

    @staticmethod
    def forward(ctx, x):
        return 2 * x

    @staticmethod
    def backward(ctx, grad):
        Counted.calls += 1
        return 2 * grad


class FailsBackward(gn.Function, register=False):
    """z = x, whose backward rule raises."""

    @staticmethod
    def forward(ctx, x):
        return x.copy()

    @staticmethod
    def backward(ctx, grad):
        raise ArithmeticError("backward failed on purpose")


def leaf(value, dtype="float64"):
    return gn.tensor(value, dtype=dtype, requires_grad=True)


# ----- backward() on scalars and non-scalars ---------------------------------------
def test_backward_on_a_scalar_fills_leaf_grads():
    w, x, b = leaf(2.0), leaf(-3.0), leaf(1.0)
    y = w * x + b
    y.backward()
    assert float(w.grad) == -3.0
    assert float(x.grad) == 2.0
    assert float(b.grad) == 1.0
    assert isinstance(w.grad, gn.Tensor)
    assert w.grad.requires_grad is False


def test_backward_on_a_one_element_tensor_needs_no_upstream_gradient():
    x = leaf([[3.0]])
    (x * x).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[6.0]])


@pytest.mark.parametrize(
    "upstream",
    [np.array([1.0, 10.0, 100.0]), [1.0, 10.0, 100.0], gn.tensor([1.0, 10.0, 100.0])],
    ids=["ndarray", "list", "tensor"],
)
def test_backward_on_a_non_scalar_takes_an_upstream_gradient(upstream):
    x = leaf([1.0, 2.0, 3.0])
    (x * x).backward(upstream)
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 40.0, 600.0])


def test_backward_on_a_non_scalar_without_gradient_is_a_clear_error():
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"scalar.*\(2,\)"):
        (x * 2.0).backward()


@pytest.mark.parametrize("shape", [(3,), (2, 1), ()], ids=["longer", "2d", "scalar"])
def test_backward_with_a_wrongly_shaped_gradient_is_a_clear_error(shape):
    x = leaf([1.0, 2.0])
    with pytest.raises(ValueError, match=r"upstream gradient has shape .*\(2,\)"):
        (x * 2.0).backward(np.ones(shape))


def test_backward_on_a_tensor_without_graph_is_a_clear_error():
    with pytest.raises(RuntimeError, match="requires_grad"):
        gn.tensor([1.0]).sum().backward()


def test_backward_on_a_leaf_gives_ones():
    x = leaf(5.0)
    x.backward()
    assert float(x.grad) == 1.0


# ----- order, depth and visiting each node once -------------------------------------
def test_topological_order_puts_inputs_before_outputs():
    x = leaf([1.0, 2.0])
    a = x * 2.0
    b = a + x
    c = gn.exp(a) * b
    d = c.sum() + a.sum()
    order = topological_order(d)
    assert order[-1] is d
    position = {id(t): i for i, t in enumerate(order)}
    assert len(position) == len(order) == 7  # each recorded tensor once
    for t in order:
        for parent in t.node.inputs:
            if isinstance(parent, gn.Tensor) and parent.node is not None:
                assert position[id(parent)] < position[id(t)]
    assert all(t.node is not None for t in order)  # leaves are not listed
    assert topological_order(x) == []


@pytest.mark.parametrize(
    "step, expected",
    [
        (lambda x: x * 1.0001, lambda n: 1.0001**n),
        (lambda x: x + 1.0, lambda n: 1.0),
    ],
    ids=["multiply", "add"],
)
def test_a_chain_100000_ops_deep_needs_no_recursion(step, expected):
    n = 100_000
    x = leaf(1.0)
    y = x
    start = time.perf_counter()
    for _ in range(n):
        y = step(y)
    y.backward()
    elapsed = time.perf_counter() - start
    assert float(x.grad) == pytest.approx(expected(n), rel=1e-9)
    assert elapsed < 30  # about a second; the bound only catches a quadratic pass
    del y  # freeing the long chain must not recurse either


def test_each_node_runs_its_backward_rule_once_in_a_diamond():
    #     x
    #    / \
    #   a   b     a = 2x (counted), b = 2a (counted), c = 2a (counted)
    #    \ /      d = b + c
    #     d
    Counted.calls = 0
    x = leaf(1.5)
    a = Counted.apply(x)
    b = Counted.apply(a)
    c = Counted.apply(a)
    d = b + c
    d.backward()
    assert Counted.calls == 3  # a's rule ran once, after both b and c had reported
    assert float(x.grad) == 8.0


# ----- gradient accumulation in graphs -------------------------------------------------
GRAPHS = [
    # name, f(a) with a = 1.0 (float64), da
    ("fan-out a+a then b+b", lambda a: (lambda b: b + b)(a + a), 4.0),
    ("x*x", lambda a: a * a, 2.0),
    ("used three times", lambda a: a * 3.0 + a * a + gn.exp(a), 3.0 + 2.0 + np.e),
    ("diamond", lambda a: (lambda m: m * 2.0 + m * 3.0)(a * 4.0), 20.0),
    ("shared subexpression", lambda a: (lambda s: s * s)(a + 1.0), 4.0),
    ("reused intermediate in sum", lambda a: gn.sum(gn.stack([a, a, a * 2.0])), 4.0),
    ("leaf and intermediate mixed", lambda a: a * (a + 1.0) - a, 2.0),
]


@pytest.mark.parametrize("name, f, expected", GRAPHS, ids=[g[0] for g in GRAPHS])
def test_gradients_add_up_where_a_tensor_feeds_several_ops(name, f, expected):
    a = leaf(1.0)
    f(a).backward()
    assert float(a.grad) == pytest.approx(expected, rel=1e-12)


def test_two_inputs_fed_from_one_leaf_in_vector_form():
    x = leaf([1.0, 2.0, 3.0])
    y = x[0] * x[2] + x[1:].sum() * x[0]
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 5.0, 1.0, 1.0 + 1.0])


def test_backward_twice_through_a_retained_graph_accumulates():
    w = leaf(3.0)
    J = w * w
    J.backward(retain_graph=True)
    assert float(w.grad) == 6.0
    J.backward()
    assert float(w.grad) == 12.0


def test_separate_graphs_accumulate_into_the_same_leaf():
    w = leaf(3.0)
    (w * w).backward()
    (w * 5.0).backward()
    assert float(w.grad) == 11.0
    w.zero_grad()
    assert w.grad is None
    (w * 5.0).backward()
    assert float(w.grad) == 5.0


def test_a_freed_graph_refuses_a_second_pass():
    w = leaf(3.0)
    J = (w * w + 1.0) * 2.0
    J.backward()
    assert all(t.node.saved is None for t in topological_order(J))  # saved arrays freed
    with pytest.raises(RuntimeError, match="retain_graph") as caught:
        J.backward()
    assert isinstance(caught.value, GraphFreedError)
    assert float(w.grad) == 12.0  # the failed pass added nothing


def test_retain_graph_keeps_the_saved_arrays():
    w = leaf([1.0, 2.0])
    J = (w * w).sum()
    J.backward(retain_graph=True)
    assert all(t.node.saved is not None for t in topological_order(J))
    for _ in range(3):
        J.backward(retain_graph=True)
    np.testing.assert_allclose(w.grad.numpy(), [8.0, 16.0])


def test_a_failing_rule_leaves_no_half_summed_gradients_behind():
    x = leaf(2.0)
    h = x * 3.0
    bad = FailsBackward.apply(h)
    with pytest.raises(ArithmeticError):
        (bad + h).backward(retain_graph=True)
    # h's node held a partial gradient when the rule failed; a new pass starts clean
    x.zero_grad()
    (h * 1.0).backward()
    assert float(x.grad) == 3.0


def test_leaf_gradients_are_independent_writable_arrays():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.numpy()[...] *= 10.0  # in-place clipping or scaling of one gradient ...
    np.testing.assert_array_equal(b.grad.numpy(), [1.0, 1.0])  # ... leaves the other alone
    upstream = np.array([5.0, 6.0])
    a.zero_grad()
    a.backward(upstream)
    a.grad.numpy()[0] = 0.0
    np.testing.assert_array_equal(upstream, [5.0, 6.0])  # the caller's array is not .grad


# ----- broadcasting is undone in the engine ------------------------------------------
BROADCASTS = [
    # x shape, y shape
    ((4, 3), (3,)),
    ((4, 3), (1, 3)),
    ((4, 3), (4, 1)),
    ((4, 1), (1, 3)),
    ((2, 3), ()),
    ((2, 1, 3), (4, 1)),
    ((3,), (2, 4, 3)),
    ((1,), (5,)),
]


def _sum_to(grad, shape):
    """Reference un-broadcast written independently: loop over axes."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


@pytest.mark.parametrize("op", ["add", "multiply", "subtract", "divide"])
@pytest.mark.parametrize("x_shape, y_shape", BROADCASTS, ids=[f"{a}-{b}" for a, b in BROADCASTS])
def test_broadcast_gradients_are_summed_back_to_each_input_shape(op, x_shape, y_shape):
    rng = np.random.default_rng(1)
    xv = rng.uniform(0.5, 2.0, x_shape)
    yv = rng.uniform(0.5, 2.0, y_shape)
    x, y = leaf(xv), leaf(yv)
    out = getattr(gn, op)(x, y)
    upstream = rng.standard_normal(out.shape)
    out.backward(upstream)
    assert x.grad.shape == x_shape and y.grad.shape == y_shape
    full_x = {"add": 1.0, "subtract": 1.0, "multiply": yv, "divide": 1.0 / yv}[op]
    full_y = {"add": 1.0, "subtract": -1.0, "multiply": xv, "divide": -xv / yv**2}[op]
    np.testing.assert_allclose(x.grad.numpy(), _sum_to(upstream * full_x, x_shape), rtol=1e-12)
    np.testing.assert_allclose(y.grad.numpy(), _sum_to(upstream * full_y, y_shape), rtol=1e-12)


def test_bias_gradient_over_a_batch():
    x = np.arange(12.0).reshape(4, 3)
    b = gn.Variable(np.zeros(3))
    (gn.tensor(x) + b).sum().backward()
    assert b.grad.shape == (3,)
    np.testing.assert_array_equal(b.grad.numpy(), [4.0, 4.0, 4.0])


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_gradients_keep_the_leaf_dtype_even_when_mixed_with_other_dtypes(dtype):
    x = leaf([1.0, 2.0], dtype=dtype)
    (x * np.array([3.0, 4.0], dtype="float64")).sum().backward()
    assert x.grad.dtype == np.dtype(dtype)
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 4.0])


# ----- retain_grad ----------------------------------------------------------------
def test_retain_grad_keeps_an_intermediate_gradient():
    x = leaf([1.0, 2.0])
    h = x * 3.0
    assert h.retain_grad() is h
    plain = h + 1.0  # an intermediate that did not ask
    y = (plain * plain).sum()
    y.backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * (3.0 * np.array([1.0, 2.0]) + 1.0))
    assert plain.grad is None
    np.testing.assert_allclose(x.grad.numpy(), 3.0 * h.grad.numpy())


def test_retained_gradients_accumulate_like_leaf_gradients():
    x = leaf(2.0)
    h = (x * x).retain_grad()
    y = h * 3.0
    y.backward(retain_graph=True)
    y.backward()
    assert float(h.grad) == 6.0


def test_retain_grad_on_a_leaf_changes_nothing():
    x = leaf(2.0)
    x.retain_grad()
    (x * 4.0).backward()
    assert float(x.grad) == 4.0


# ----- no_grad, enable_grad, detach ------------------------------------------------
def test_no_grad_as_a_context_manager_records_nothing():
    w = gn.Variable([1.0, 2.0])
    with gn.no_grad():
        assert not gn.is_grad_enabled()
        y = w * 2.0 + 1.0
    assert gn.is_grad_enabled()
    assert y.requires_grad is False and y.node is None
    z = w * 2.0
    assert z.requires_grad and z.node is not None


def test_no_grad_as_a_decorator():
    w = gn.Variable(3.0)

    @gn.no_grad()
    def predict(x):
        return w * x

    out = predict(2.0)
    assert out.requires_grad is False
    assert float(out) == 6.0
    assert predict.__name__ == "predict"
    assert gn.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(KeyError):
        with gn.no_grad():
            raise KeyError("boom")
    assert gn.is_grad_enabled()


def test_enable_grad_inside_no_grad():
    w = gn.Variable(1.0)
    with gn.no_grad():
        with gn.enable_grad():
            y = w * 2.0
        z = w * 2.0
    assert y.requires_grad and not z.requires_grad


def test_in_place_update_under_no_grad_does_not_enter_the_graph():
    w = gn.Variable([1.0, 2.0])
    (w * w).sum().backward()
    with gn.no_grad():
        step = w.grad * 0.1
        w.assign_sub(step)
    np.testing.assert_allclose(w.numpy(), [0.8, 1.6], rtol=1e-6)
    assert w.is_leaf and step.node is None


def test_detach_stops_the_gradient():
    x = leaf(3.0)
    y = x * x
    z = y.detach() * x + y  # d/dx = y + 2x = 9 + 6
    z.backward()
    assert float(x.grad) == 15.0


def test_constants_and_non_grad_tensors_do_not_record():
    a = gn.tensor([1.0, 2.0])
    b = a * 2.0 + np.ones(2)
    assert b.requires_grad is False and b.node is None
