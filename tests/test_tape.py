"""Gradients as return values: ``GradientTape`` (TensorFlow semantics) and ``grad``
(JAX style). Only first derivatives: backward rules run on raw arrays.
"""

import numpy as np
import pytest

import glassnet as gn


def f64(value):
    return gn.tensor(value, dtype="float64")


# ----- GradientTape: what is watched ---------------------------------------------------
def test_variables_are_watched_automatically():
    w = gn.Variable(3.0)
    with gn.GradientTape() as tape:
        y = w * w
    g = tape.gradient(y, w)
    assert isinstance(g, gn.Tensor)
    assert float(g) == 6.0
    assert g.dtype == np.float32 and g.requires_grad is False


def test_plain_tensors_need_watch():
    x = f64(3.0)
    with gn.GradientTape() as tape:
        y = x * x
    assert tape.gradient(y, x) is None
    with gn.GradientTape() as tape:
        tape.watch(x)
        y = x * x
    assert float(tape.gradient(y, x)) == 6.0


def test_an_unwatched_tensor_next_to_a_variable_gets_none():
    w, c = gn.Variable(2.0), gn.tensor(5.0)
    with gn.GradientTape() as tape:
        y = w * c
    gw, gc = tape.gradient(y, [w, c])
    assert float(gw) == 5.0
    assert gc is None


def test_watch_takes_a_list_and_watched_variables_lists_them():
    a, b = f64(1.0), f64(2.0)
    with gn.GradientTape() as tape:
        tape.watch([a, b])
        y = a * b
    watched = tape.watched_variables()
    assert len(watched) == 2 and watched[0] is a and watched[1] is b
    ga, gb = tape.gradient(y, [a, b])
    assert (float(ga), float(gb)) == (2.0, 1.0)


def test_watch_rejects_non_tensors():
    with gn.GradientTape() as tape:
        with pytest.raises(TypeError, match="ndarray"):
            tape.watch(np.ones(2))


def test_non_trainable_variables_are_not_watched():
    frozen = gn.Variable(2.0, trainable=False)
    with gn.GradientTape() as tape:
        y = frozen * 3.0
    assert tape.gradient(y, frozen) is None
    with gn.GradientTape() as tape:
        tape.watch(frozen)
        y = frozen * 3.0
    assert float(tape.gradient(y, frozen)) == 3.0


def test_watch_ends_with_the_tape():
    x = f64(2.0)
    with gn.GradientTape() as tape:
        tape.watch(x)
    assert (x * x).requires_grad is False  # no longer recorded once the tape is closed


# ----- GradientTape: structure of sources and targets ------------------------------------
SOURCES = [
    ("single", lambda a, b: a, lambda ga, gb: ga),
    ("list", lambda a, b: [a, b], lambda ga, gb: [ga, gb]),
    ("tuple", lambda a, b: (a, b), lambda ga, gb: (ga, gb)),
    ("dict", lambda a, b: {"w": a, "b": b}, lambda ga, gb: {"w": ga, "b": gb}),
]


@pytest.mark.parametrize("name, make, expect", SOURCES, ids=[s[0] for s in SOURCES])
def test_gradient_returns_the_structure_of_sources(name, make, expect):
    a = gn.Variable(np.array([1.0, 2.0]))
    b = gn.Variable(np.array(3.0))
    with gn.GradientTape() as tape:
        y = gn.sum(a * a) * b
    got = tape.gradient(y, make(a, b))
    expected = expect(np.array([6.0, 12.0]), np.array(5.0))
    assert type(got) is (gn.Tensor if isinstance(expected, np.ndarray) else type(expected))
    if isinstance(expected, dict):
        assert list(got) == list(expected)
        got, expected = list(got.values()), list(expected.values())
    if not isinstance(expected, (list, tuple)):
        got, expected = [got], [expected]
    for g, e in zip(got, expected):
        assert isinstance(g, gn.Tensor)
        np.testing.assert_allclose(g.numpy(), e)


def test_non_scalar_targets_are_summed():
    x = gn.Variable(np.array([1.0, 2.0, 3.0]))
    with gn.GradientTape() as tape:
        y = x * x  # shape (3,)
    np.testing.assert_allclose(tape.gradient(y, x).numpy(), [2.0, 4.0, 6.0])


def test_a_list_of_targets_adds_their_gradients():
    x = gn.Variable(np.array(2.0))
    with gn.GradientTape() as tape:
        h = x * x  # shared by both targets
        y1 = h * 3.0
        y2 = h + x
    # d(3x^2)/dx + d(x^2 + x)/dx = 12 + 5
    assert float(tape.gradient([y1, y2], x)) == 17.0


def test_non_scalar_target_with_infinite_values():
    x = gn.Variable(np.array([1.0, 2.0]))
    scale = np.array([3.0, np.inf])
    with gn.GradientTape() as tape:
        y = x * scale  # [3, inf]: summing it must not turn the upstream ones into nan
    np.testing.assert_array_equal(tape.gradient(y, x).numpy(), [3.0, np.inf])


def test_output_gradients_weight_the_target():
    x = gn.Variable(np.array([1.0, 2.0]))
    with gn.GradientTape() as tape:
        y = x * x
    g = tape.gradient(y, x, output_gradients=gn.tensor(np.array([10.0, 100.0])))
    np.testing.assert_allclose(g.numpy(), [20.0, 400.0])


def test_output_gradients_for_a_list_of_targets():
    x = gn.Variable(np.array(1.5))
    with gn.GradientTape() as tape:
        y1 = x * 2.0
        y2 = x * x
    g = tape.gradient([y1, y2], x, output_gradients=[np.array(1.0), np.array(10.0)])
    assert float(g) == 2.0 + 10.0 * 3.0


def test_gradient_with_respect_to_an_intermediate_tensor():
    x = gn.Variable(np.array(2.0))
    with gn.GradientTape() as tape:
        h = x * 3.0
        y = h * h
    gh, gx = tape.gradient(y, [h, x])
    assert float(gh) == 12.0 and float(gx) == 36.0


def test_gradient_of_a_source_with_respect_to_itself():
    x = gn.Variable(np.array([1.0, 2.0]))
    with gn.GradientTape() as tape:
        pass
    np.testing.assert_array_equal(tape.gradient(x, x).numpy(), [1.0, 1.0])


# ----- GradientTape: persistence, unconnected, side effects -----------------------------
def test_a_non_persistent_tape_answers_once():
    x = gn.Variable(2.0)
    with gn.GradientTape() as tape:
        y = x * x
    tape.gradient(y, x)
    with pytest.raises(RuntimeError, match="persistent"):
        tape.gradient(y, x)


def test_a_persistent_tape_answers_several_times():
    x = gn.Variable(np.array(2.0))
    with gn.GradientTape(persistent=True) as tape:
        y = x * x
        z = y * y
    assert float(tape.gradient(y, x)) == 4.0
    assert float(tape.gradient(z, x)) == 32.0
    assert float(tape.gradient(z, y)) == 8.0
    assert float(tape.gradient(y, x)) == 4.0


@pytest.mark.parametrize(
    "mode, expected",
    [("none", None), ("zero", np.zeros((2, 2), dtype=np.float32))],
    ids=["none", "zero"],
)
def test_unconnected_gradients(mode, expected):
    used, unused = gn.Variable(1.0), gn.Variable(np.ones((2, 2), dtype=np.float32))
    with gn.GradientTape() as tape:
        y = used * 2.0
    g_used, g_unused = tape.gradient(y, [used, unused], unconnected_gradients=mode)
    assert float(g_used) == 2.0
    if expected is None:
        assert g_unused is None
    else:
        assert g_unused.dtype == np.float32
        np.testing.assert_array_equal(g_unused.numpy(), expected)


def test_zero_gradient_of_a_non_finite_source_is_zero():
    used, unused = gn.Variable(1.0), gn.Variable(np.array([np.inf, np.nan]))
    with gn.GradientTape() as tape:
        y = used * 2.0
    _, g = tape.gradient(y, [used, unused], unconnected_gradients="zero")
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_unconnected_target_gives_none_or_zeros():
    x = gn.Variable(1.0)
    with gn.GradientTape(persistent=True) as tape:
        y = gn.tensor(3.0) * 2.0  # nothing watched took part
    assert tape.gradient(y, x) is None
    assert float(tape.gradient(y, x, unconnected_gradients="zero")) == 0.0


def test_unknown_unconnected_gradients_value_is_rejected():
    x = gn.Variable(1.0)
    with gn.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(ValueError, match="unconnected_gradients.*'nan'"):
        tape.gradient(y, x, unconnected_gradients="nan")


def test_gradient_rejects_non_tensor_sources():
    x = gn.Variable(1.0)
    with gn.GradientTape() as tape:
        y = x * 2.0
    with pytest.raises(TypeError, match="float"):
        tape.gradient(y, 1.0)


def test_gradient_does_not_touch_dot_grad():
    w = gn.Variable(np.array([1.0, 2.0]))
    (w * 1.0).sum().backward()
    before = w.grad.numpy().copy()
    with gn.GradientTape() as tape:
        h = (w * w).retain_grad()
        y = h.sum()
    tape.gradient(y, w)
    np.testing.assert_array_equal(w.grad.numpy(), before)
    assert h.grad is None


def test_stop_recording():
    x = gn.Variable(np.array(3.0))
    with gn.GradientTape() as tape:
        y = x * x
        with tape.stop_recording():
            side = x * 100.0
        assert side.requires_grad is False
        z = y + side
    assert float(tape.gradient(z, x)) == 6.0


def test_tape_records_even_inside_no_grad():
    x = gn.Variable(np.array(3.0))
    with gn.no_grad():
        with gn.GradientTape() as tape:
            y = x * x
        assert not gn.is_grad_enabled()
    assert float(tape.gradient(y, x)) == 6.0


# ----- nested tapes (first order only) -------------------------------------------------
def test_nested_tapes_each_answer_for_their_own_targets():
    x = f64(3.0)
    with gn.GradientTape() as outer:
        outer.watch(x)
        with gn.GradientTape() as inner:
            inner.watch(x)
            y = x * x
        z = y * 2.0
        assert float(inner.gradient(y, x)) == 6.0
    assert float(outer.gradient(z, x)) == 12.0
    assert float(np.asarray(y)) == 9.0


def test_inner_tape_closing_keeps_the_outer_tapes_watch():
    x = f64(3.0)
    with gn.GradientTape() as outer:
        outer.watch(x)
        with gn.GradientTape() as inner:
            inner.watch(x)
        y = x * x  # recorded after the inner tape closed
    assert float(outer.gradient(y, x)) == 6.0


def test_watches_end_when_every_tape_is_closed():
    x = f64(3.0)
    with gn.GradientTape() as outer:
        outer.watch(x)
        with gn.GradientTape() as inner:
            inner.watch(x)
        assert (x * x).requires_grad
    assert (x * x).requires_grad is False


def test_reset_forgets_what_was_watched():
    x = f64(3.0)
    with gn.GradientTape() as tape:
        tape.watch(x)
        tape.reset()
        y = x * x
    assert tape.watched_variables() == []
    assert y.requires_grad is False


def test_inner_tape_sees_only_what_it_watches():
    x = f64(2.0)
    with gn.GradientTape() as outer:
        outer.watch(x)
        with gn.GradientTape() as inner:
            y = x * x
        assert inner.gradient(y, x) is None  # as in TensorFlow: x is the outer tape's
    assert float(outer.gradient(y, x)) == 4.0


# ----- grad() ------------------------------------------------------------------------
GRADS = [
    ("square", lambda x: x * x, (3.0,), 0, 6.0),
    ("cube", lambda x: x**3, (2.0,), 0, 12.0),
    ("exp", lambda x: gn.exp(x), (0.0,), 0, 1.0),
    ("product-first", lambda x, y: x * y, (3.0, 4.0), 0, 4.0),
    ("product-second", lambda x, y: x * y, (3.0, 4.0), 1, 3.0),
    ("product-both", lambda x, y: x * y, (3.0, 4.0), (0, 1), (4.0, 3.0)),
    ("quotient-both", lambda x, y: x / y, (3.0, 2.0), (1, 0), (-0.75, 0.5)),
    ("ignores-argument", lambda x, y: y * 2.0, (3.0, gn.tensor(4.0)), 0, 0.0),
]


@pytest.mark.parametrize("name, f, args, argnums, expected", GRADS, ids=[g[0] for g in GRADS])
def test_grad_of_scalar_functions(name, f, args, argnums, expected):
    got = gn.grad(f, argnums=argnums)(*args)
    if isinstance(argnums, tuple):
        assert isinstance(got, tuple) and len(got) == len(argnums)
        assert [float(g) for g in got] == pytest.approx(list(expected))
    else:
        assert isinstance(got, gn.Tensor)
        assert float(got) == pytest.approx(expected)


def test_grad_accepts_arrays_and_tensors_and_keeps_their_shape():
    def loss(w, x):
        return gn.sum((x @ w) ** 2)

    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([0.5, -1.0])
    expected = 2 * x.T @ (x @ w)
    for arg in (w, gn.tensor(w), list(w)):
        g = gn.grad(loss)(arg, x)
        assert g.shape == (2,)
        np.testing.assert_allclose(g.numpy(), expected, rtol=1e-6)
    assert gn.grad(loss)(w, x).dtype == np.float64


def test_grad_leaves_the_callers_tensors_alone():
    w = gn.Variable(np.array(2.0))
    gn.grad(lambda v: v * v)(w)
    assert w.grad is None


def test_grad_works_inside_no_grad():
    with gn.no_grad():
        assert float(gn.grad(lambda x: x * x)(5.0)) == 10.0


def test_grad_of_an_unused_argument_is_zero_even_for_non_finite_values():
    g = gn.grad(lambda x, y: y * 2.0, argnums=0)(np.array([np.inf, 1.0]), gn.tensor(1.0))
    np.testing.assert_array_equal(g.numpy(), [0.0, 0.0])


def test_grad_of_a_non_scalar_function_is_a_clear_error():
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        gn.grad(lambda x: x * 2.0)(np.array([1.0, 2.0]))


def test_grad_of_a_function_returning_a_number_is_a_clear_error():
    with pytest.raises(ValueError, match="float"):
        gn.grad(lambda x: 3.0)(1.0)


def test_grad_with_argnums_beyond_the_arguments_is_a_clear_error():
    with pytest.raises(ValueError, match="argnums=2"):
        gn.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
