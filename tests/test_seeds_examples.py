"""The course's own worked examples, reproduced with glassnet tensors in float64.

1. J = w^2 at w = 3: the derivative is 6, and nudging w by eps = 0.001 moves J by
   about 6 * eps (J(3.001) = 9.006001, so the estimate is 6.001).
2. The computation graph of J = 1/2 (w x + b - y)^2 with w = 2, b = 8, x = -2, y = 2:
   forward values c = w x = -4, a = c + b = 4, d = a - y = 2, J = d^2 / 2 = 2, and
   the backward pass right to left: dJ/dd = 2, dJ/da = 2, dJ/dc = 2, dJ/dw = -4,
   dJ/db = 2.
"""

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import topological_order

EPS = 0.001


def f64(value, **kwargs):
    return gn.tensor(value, dtype="float64", **kwargs)


# ----- J = w^2 ------------------------------------------------------------------------
def J_square(w):
    return w**2


def test_derivative_of_w_squared_at_3_is_6():
    w = f64(3.0, requires_grad=True)
    J = J_square(w)
    assert float(J) == 9.0
    J.backward()
    assert float(w.grad) == 6.0
    assert w.grad.dtype == np.float64


def test_nudging_w_by_epsilon_estimates_the_derivative():
    J_at_3 = float(J_square(f64(3.0)))
    J_nudged = float(J_square(f64(3.0 + EPS)))
    assert J_nudged == pytest.approx(9.006001, abs=1e-12)
    estimate = (J_nudged - J_at_3) / EPS
    assert estimate == pytest.approx(6.001, abs=1e-9)
    # the estimate's error is exactly eps (the J'' / 2 * eps term): it shrinks with eps
    assert estimate - 6.0 == pytest.approx(EPS, abs=1e-9)


def test_derivative_agrees_with_the_nudge_through_glassnet_grad():
    slope = float(gn.grad(J_square)(np.float64(3.0)))
    assert slope == 6.0
    assert (float(J_square(f64(3.0 + EPS))) - 9.0) / EPS == pytest.approx(slope, abs=2 * EPS)


# ----- the computation graph of J = 1/2 (w x + b - y)^2 -----------------------------------
def build_graph():
    """Forward pass, step by step, keeping every intermediate's gradient."""
    w = gn.Variable(np.float64(2.0), name="w")
    b = gn.Variable(np.float64(8.0), name="b")
    x, y = f64(-2.0), f64(2.0)
    c = (w * x).retain_grad()
    a = (c + b).retain_grad()
    d = (a - y).retain_grad()
    J = d**2 / 2
    return {"w": w, "b": b, "x": x, "y": y, "c": c, "a": a, "d": d, "J": J}


# name, forward value, dJ/d(name)
COURSE_VALUES = [
    ("c", -4.0, 2.0),
    ("a", 4.0, 2.0),
    ("d", 2.0, 2.0),
    ("J", 2.0, None),
    ("w", 2.0, -4.0),
    ("b", 8.0, 2.0),
]


@pytest.mark.parametrize("name, value, derivative", COURSE_VALUES, ids=[v[0] for v in COURSE_VALUES])
def test_forward_and_backward_values_match_the_course(name, value, derivative):
    g = build_graph()
    g["J"].backward()
    t = g[name]
    assert t.dtype == np.float64
    assert float(t) == value
    if derivative is not None:
        assert t.grad is not None, f"dJ/d{name} was not kept"
        assert float(t.grad) == derivative


def test_constant_inputs_get_no_gradient():
    g = build_graph()
    g["J"].backward()
    assert g["x"].grad is None and g["y"].grad is None


def test_tape_gives_the_same_derivatives():
    w = gn.Variable(np.float64(2.0))
    b = gn.Variable(np.float64(8.0))
    with gn.GradientTape() as tape:
        J = (w * -2.0 + b - 2.0) ** 2 / 2
    dw, db = tape.gradient(J, [w, b])
    assert (float(dw), float(db)) == (-4.0, 2.0)


# Two spellings of J = d^2 / 2 and the nodes each one records, inputs first.
SPELLINGS = [
    ("power-then-divide", lambda d: d**2 / 2, ["Multiply", "Add", "Subtract", "Power", "Divide"]),
    ("square-then-scale", lambda d: 0.5 * gn.square(d), ["Multiply", "Add", "Subtract", "Multiply", "Multiply"]),
]


@pytest.mark.parametrize("name, half_square, ops", SPELLINGS, ids=[s[0] for s in SPELLINGS])
def test_the_recorded_graph_has_exactly_the_expected_nodes(name, half_square, ops):
    w = gn.Variable(np.float64(2.0), name="w")
    b = gn.Variable(np.float64(8.0), name="b")
    x, y = f64(-2.0), f64(2.0)
    c = w * x
    a = c + b
    d = a - y
    J = half_square(d)
    order = topological_order(J)
    assert [t.node.name for t in order] == ops
    assert all(s is t for s, t in zip(order, [c, a, d]))
    assert order[-1] is J
    # each node's inputs are the tensors it was computed from
    assert c.node.inputs[0] is w and c.node.inputs[1] is x
    assert a.node.inputs[0] is c and a.node.inputs[1] is b
    assert d.node.inputs[0] is a and d.node.inputs[1] is y
    # leaves are not nodes: w, b, x and y sit at the edges of the graph
    assert all(t.is_leaf for t in (w, b, x, y))
    J.backward()
    assert (float(w.grad), float(b.grad)) == (-4.0, 2.0)
