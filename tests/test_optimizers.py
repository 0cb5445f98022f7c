"""Optimizers against their documented Keras 3 update formulas, written out here in float64.

Each row of ``ROWS`` is one optimizer configuration and the NumPy reference that
the optimizer must reproduce step by step. The references are transcribed from
the formulas in Keras 3's documentation and source (textbook form where it is
algebraically the same), never by calling glassnet, so a row failing means the
optimizer's math and the formula disagree. Adding an optimizer or an option is
adding a row.
"""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet import optimizers
from glassnet.optimizers import SGD, Adagrad, Adam, AdamW, Nadam, Optimizer, RMSprop
from glassnet.optimizers.schedules import ExponentialDecay, PiecewiseConstantDecay


# ----- the references: one update of one variable, float64 ---------------------------------
# `s` is that variable's own state (a dict), `t` the 1-based step, `opt` the shared state
# (Nadam's momentum schedule needs the step only, so it is recomputed in closed form).
def ref_sgd(w, g, s, t, lr, momentum=0.0, nesterov=False):
    if momentum == 0:
        return w - lr * g
    m = momentum * s.get("m", 0.0) - lr * g
    s["m"] = m
    return w + momentum * m - lr * g if nesterov else w + m


def ref_adam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False):
    m = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    v = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    s["m"], s["v"] = m, v
    if amsgrad:
        v = s["v_hat"] = np.maximum(s.get("v_hat", 0.0), v)
    alpha = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
    return w - alpha * m / (np.sqrt(v) + epsilon)


def ref_rmsprop(w, g, s, t, lr, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False):
    v = s["v"] = rho * s.get("v", 0.0) + (1 - rho) * g ** 2
    if centered:
        a = s["a"] = rho * s.get("a", 0.0) + (1 - rho) * g
        denominator = v - a ** 2 + epsilon
    else:
        denominator = v + epsilon
    step = lr * g / np.sqrt(denominator)
    if momentum > 0:
        step = s["m"] = momentum * s.get("m", 0.0) + step
    return w - step


def ref_adagrad(w, g, s, t, lr, initial_accumulator_value=0.1, epsilon=1e-7):
    acc = s["acc"] = s.get("acc", initial_accumulator_value) + g ** 2
    return w - lr * g / np.sqrt(acc + epsilon)


def ref_nadam(w, g, s, t, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    def u(k):
        return beta_1 * (1 - 0.5 * 0.96 ** k)

    product_t = math.prod(u(k) for k in range(1, t + 1))
    product_next = product_t * u(t + 1)
    m = s["m"] = beta_1 * s.get("m", 0.0) + (1 - beta_1) * g
    v = s["v"] = beta_2 * s.get("v", 0.0) + (1 - beta_2) * g ** 2
    m_hat = u(t + 1) * m / (1 - product_next) + (1 - u(t)) * g / (1 - product_t)
    v_hat = v / (1 - beta_2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + epsilon)


# (id, class, constructor kwargs, reference). Rows always spell out learning_rate (and AdamW's
# weight_decay); the defaults have their own table below.
ROWS = [
    ("sgd", SGD, {"learning_rate": 0.1}, ref_sgd),
    ("sgd-momentum", SGD, {"learning_rate": 0.1, "momentum": 0.9}, ref_sgd),
    ("sgd-nesterov", SGD, {"learning_rate": 0.1, "momentum": 0.8, "nesterov": True}, ref_sgd),
    ("sgd-weight-decay", SGD, {"learning_rate": 0.1, "momentum": 0.5, "weight_decay": 0.2}, ref_sgd),
    ("adam", Adam, {"learning_rate": 0.01}, ref_adam),
    ("adam-betas", Adam, {"learning_rate": 0.05, "beta_1": 0.5, "beta_2": 0.8, "epsilon": 1e-3}, ref_adam),
    ("adam-amsgrad", Adam, {"learning_rate": 0.01, "beta_2": 0.9, "amsgrad": True}, ref_adam),
    ("adam-weight-decay", Adam, {"learning_rate": 0.01, "weight_decay": 0.1}, ref_adam),
    ("adamw", AdamW, {"learning_rate": 0.01, "weight_decay": 0.1}, ref_adam),
    ("adamw-amsgrad", AdamW, {"learning_rate": 0.02, "weight_decay": 0.3, "beta_2": 0.9, "amsgrad": True}, ref_adam),
    ("rmsprop", RMSprop, {"learning_rate": 0.01}, ref_rmsprop),
    ("rmsprop-centered", RMSprop, {"learning_rate": 0.01, "centered": True}, ref_rmsprop),
    ("rmsprop-momentum", RMSprop, {"learning_rate": 0.01, "momentum": 0.9, "rho": 0.8}, ref_rmsprop),
    ("rmsprop-centered-momentum", RMSprop,
     {"learning_rate": 0.01, "momentum": 0.5, "centered": True, "epsilon": 1e-4}, ref_rmsprop),
    ("adagrad", Adagrad, {"learning_rate": 0.1}, ref_adagrad),
    ("adagrad-accumulator", Adagrad,
     {"learning_rate": 0.5, "initial_accumulator_value": 0.0, "epsilon": 1e-3}, ref_adagrad),
    ("nadam", Nadam, {"learning_rate": 0.01}, ref_nadam),
    ("nadam-betas", Nadam, {"learning_rate": 0.02, "beta_1": 0.8, "beta_2": 0.95, "weight_decay": 0.1}, ref_nadam),
]
ROW_IDS = [row[0] for row in ROWS]

SHAPES = [(3, 2), (4,), ()]
STEPS = 3


def _gradients(seed):
    """Per-step gradients; step 2 is small so AMSGrad's max(v_hat, v) keeps the old v."""
    rng = np.random.default_rng(seed)
    scales = [1.0, 0.01, 2.0]
    return [[rng.normal(size=shape) * scales[step] for shape in SHAPES] for step in range(STEPS)]


def _initial_weights(seed):
    rng = np.random.default_rng(seed + 100)
    return [rng.normal(size=shape) for shape in SHAPES]


def _reference(reference, kwargs, weights, grads_per_step):
    """Run the float64 reference; decoupled weight decay w -= w * wd * lr comes first (Keras)."""
    hyper = dict(kwargs)
    lr, weight_decay = hyper.pop("learning_rate"), hyper.pop("weight_decay", None)
    weights = [np.array(w, dtype=np.float64) for w in weights]
    states = [{} for _ in weights]
    history = []
    for t, grads in enumerate(grads_per_step, start=1):
        for i, (g, s) in enumerate(zip(grads, states)):
            w = weights[i]
            if weight_decay:
                w = w - w * weight_decay * lr
            weights[i] = reference(w, np.asarray(g, dtype=np.float64), s, t, lr, **hyper)
        history.append([w.copy() for w in weights])
    return history


@pytest.mark.parametrize("name, cls, kwargs, reference", ROWS, ids=ROW_IDS)
def test_steps_match_the_formula_in_float64(name, cls, kwargs, reference):
    grads_per_step = _gradients(1)
    start = _initial_weights(1)
    expected = _reference(reference, kwargs, start, grads_per_step)
    variables = [gn.Variable(w.copy()) for w in start]
    opt = cls(**kwargs)
    for step, grads in enumerate(grads_per_step):
        opt.apply(grads, variables)
        assert opt.iterations == step + 1
        for v, want in zip(variables, expected[step]):
            np.testing.assert_allclose(v.numpy(), want, rtol=1e-10, atol=1e-13,
                                       err_msg=f"{name}: step {step + 1}")


@pytest.mark.parametrize("name, cls, kwargs, reference", ROWS, ids=ROW_IDS)
def test_float32_variables_stay_float32_in_the_same_array(name, cls, kwargs, reference):
    grads_per_step = [[g.astype(np.float32) for g in grads] for grads in _gradients(2)]
    start = [w.astype(np.float32) for w in _initial_weights(2)]
    expected = _reference(reference, kwargs, start, grads_per_step)
    variables = [gn.Variable(w.copy()) for w in start]
    opt = cls(**kwargs)
    opt.build(variables)  # building moves each variable into the flat buffer, once
    arrays = [v.data for v in variables]
    for grads in grads_per_step:
        # float64 gradients for a float32 variable must not promote it
        opt.apply([g.astype(np.float64) if i == 0 else gn.tensor(g) for i, g in enumerate(grads)], variables)
    for v, array, want in zip(variables, arrays, expected[-1]):
        assert v.data is array  # and no step allocates a new one
        assert v.dtype == np.float32
        np.testing.assert_allclose(v.numpy(), want, rtol=2e-5, atol=2e-6)
    for state in opt.variables[1:]:  # slots follow their variable; rate and Nadam's product are float64
        assert state.dtype in (np.float32, np.float64)
    slots = [a for key, a in opt.get_state().items() if "/" in key]
    assert all(a.dtype == np.float32 for a in slots)


def test_amsgrad_row_exercises_the_maximum():
    grads, start = _gradients(1), _initial_weights(1)
    plain = _reference(ref_adam, {"learning_rate": 0.01, "beta_2": 0.9}, start, grads)
    ams = _reference(ref_adam, {"learning_rate": 0.01, "beta_2": 0.9, "amsgrad": True}, start, grads)
    assert not np.allclose(plain[-1][0], ams[-1][0])


# ----- Keras defaults -----------------------------------------------------------------------
DEFAULTS = [
    (SGD, {"name": "SGD", "learning_rate": 0.01, "momentum": 0.0, "nesterov": False, "weight_decay": None}),
    (Adam, {"name": "adam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7,
            "amsgrad": False}),
    (AdamW, {"name": "adamw", "learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9,
             "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False}),
    (RMSprop, {"name": "rmsprop", "learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7,
               "centered": False}),
    (Adagrad, {"name": "adagrad", "learning_rate": 0.001, "initial_accumulator_value": 0.1,
               "epsilon": 1e-7}),
    (Nadam, {"name": "nadam", "learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7}),
]


@pytest.mark.parametrize("cls, expected", DEFAULTS, ids=[c.__name__ for c, _ in DEFAULTS])
def test_keras_defaults(cls, expected):
    config = cls().get_config()
    assert {k: config[k] for k in expected} == expected
    assert config["clipnorm"] is None and config["clipvalue"] is None and config["global_clipnorm"] is None


def test_first_positional_argument_is_the_learning_rate():
    assert Adam(0.01).learning_rate == 0.01
    assert AdamW(0.01, 0.1).weight_decay == 0.1
    assert SGD(0.5, 0.9).momentum == 0.9


# ----- the apply contract -----------------------------------------------------------------------
def test_none_gradients_are_skipped_with_a_warning():
    a, b = gn.Variable([1.0, 2.0], name="a"), gn.Variable([3.0], name="b")
    opt = SGD(1.0)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables \\['b'\\]"):
        opt.apply([np.array([0.5, 0.5], dtype=np.float32), None], [a, b])
    np.testing.assert_array_equal(a.numpy(), [0.5, 1.5])
    np.testing.assert_array_equal(b.numpy(), [3.0])
    assert opt.iterations == 1
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None, None], [a, b])
    assert opt.iterations == 1


def test_skipped_variable_keeps_its_slots_and_others_use_their_own():
    a, b = gn.Variable([1.0]), gn.Variable([1.0])
    opt = SGD(0.1, momentum=0.9)
    opt.apply([np.ones(1), np.ones(1)], [a, b])
    with pytest.warns(UserWarning):
        opt.apply([None, np.ones(1)], [a, b])
    state = opt.get_state()
    np.testing.assert_allclose(state["momentum/0"], [-0.1])          # untouched on step 2
    np.testing.assert_allclose(state["momentum/1"], [-0.19])         # 0.9 * -0.1 - 0.1


def test_apply_gradients_takes_pairs_and_returns_iterations():
    w = gn.Variable([1.0, 1.0])
    opt = SGD(0.5)
    assert opt.apply_gradients(zip([np.array([1.0, -1.0])], [w])) == 1
    np.testing.assert_array_equal(w.numpy(), [0.5, 1.5])


def test_variables_in_another_order_or_a_subset_find_their_slots():
    a, b = gn.Variable([1.0]), gn.Variable([1.0])
    opt = SGD(0.1, momentum=0.5)
    opt.apply([np.ones(1), 2 * np.ones(1)], [a, b])
    opt.apply([2 * np.ones(1), np.ones(1)], [b, a])
    opt.apply([np.ones(1)], [a])
    state = opt.get_state()
    np.testing.assert_allclose(state["momentum/0"], [0.5 * (0.5 * -0.1 - 0.1) - 0.1])
    np.testing.assert_allclose(state["momentum/1"], [0.5 * -0.2 - 0.2])


def test_apply_without_variables_uses_the_built_ones():
    w = gn.Variable([1.0])
    opt = SGD(0.1)
    with pytest.raises(ValueError, match="must already be built"):
        opt.apply([np.ones(1)])
    opt.build([w])
    opt.apply([np.ones(1)])
    np.testing.assert_allclose(w.numpy(), [0.9])


def test_plain_float_arrays_can_be_updated_in_place():
    w = np.array([1.0, 2.0], dtype=np.float32)
    Adam(0.1).apply([np.ones(2, dtype=np.float32)], [w])
    assert w.dtype == np.float32 and np.all(w < [1.0, 2.0])


@pytest.mark.parametrize("call, error, message", [
    (lambda opt, w: opt.apply([np.ones(3)], [w]), ValueError, r"Gradient shape \(3,\) does not match variable 'w'"),
    (lambda opt, w: opt.apply([np.ones(2), np.ones(2)], [w]), ValueError, "one gradient per variable"),
    (lambda opt, w: opt.apply([np.ones(2)], [gn.Variable([1.0, 2.0])]), ValueError, "Unknown variable"),
    (lambda opt, w: Adam().apply([np.ones(2)], [gn.tensor([1, 2])]), TypeError, "floating-point"),
    (lambda opt, w: Adam().apply([np.ones(2), np.ones(2)], [w, w]), ValueError, "more than once"),
], ids=["shape", "count", "unknown-variable", "integer-variable", "duplicate"])
def test_apply_rejects_mismatches(call, error, message):
    w = gn.Variable([1.0, 2.0], name="w")
    opt = SGD(0.1)
    opt.apply([np.ones(2)], [w])
    with pytest.raises(error, match=message):
        call(opt, w)


def test_caller_gradients_are_not_modified():
    w = gn.Variable([1.0, 2.0])
    g = np.array([3.0, 4.0], dtype=np.float32)
    for opt in (Adam(0.1, clipnorm=1.0), RMSprop(0.1, clipvalue=0.5), Nadam(0.1, global_clipnorm=1.0), SGD(0.1)):
        opt.apply([g], [w])
    np.testing.assert_array_equal(g, [3.0, 4.0])


def test_minimize_with_a_loss_callable():
    w = gn.Variable([3.0, -2.0])
    opt = SGD(0.25)
    assert opt.minimize(lambda: gn.sum(w * w), [w]) == 1  # gradient 2w
    np.testing.assert_allclose(w.numpy(), [1.5, -1.0])


# ----- clipping -------------------------------------------------------------------------------------
def _clipped_step(grads, **clip):
    """One SGD(lr=1) step from zero weights: the result is minus the clipped gradients."""
    variables = [gn.Variable(np.zeros_like(g)) for g in grads]
    SGD(1.0, **clip).apply([g.copy() for g in grads], variables)
    return [-v.numpy() for v in variables]


CLIP_GRADS = [np.array([3.0, -4.0]), np.array([[0.3], [0.4]]), np.array([12.0])]


def _clip_by_norm(g, c):  # g * c / max(||g||, c)
    return g * c / max(np.linalg.norm(g), c)


def _clip_by_global_norm(grads, c):
    norm = math.sqrt(sum(float(np.sum(g ** 2)) for g in grads))
    return [g * c / max(norm, c) for g in grads]


@pytest.mark.parametrize("clip, expected", [
    ({"clipvalue": 1.0}, [np.clip(g, -1.0, 1.0) for g in CLIP_GRADS]),
    ({"clipnorm": 1.0}, [_clip_by_norm(g, 1.0) for g in CLIP_GRADS]),
    ({"clipnorm": 100.0}, CLIP_GRADS),
    ({"global_clipnorm": 2.0}, _clip_by_global_norm(CLIP_GRADS, 2.0)),
    ({"global_clipnorm": 100.0}, CLIP_GRADS),
    ({"clipnorm": 0.0}, CLIP_GRADS),  # 0 means off, as in Keras
], ids=["clipvalue", "clipnorm", "clipnorm-inactive", "global", "global-inactive", "zero-is-off"])
def test_clipping(clip, expected):
    for got, want in zip(_clipped_step(CLIP_GRADS, **clip), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)


def test_clipping_comes_before_the_update_rule():
    # Adam's first step is about lr * sign(g) whatever the scale; with clipvalue the sign survives.
    w = gn.Variable([0.0, 0.0], dtype="float64")
    Adam(0.1, clipvalue=0.5).apply([np.array([10.0, -0.25])], [w])
    expected = ref_adam(np.zeros(2), np.array([0.5, -0.25]), {}, 1, 0.1)
    np.testing.assert_allclose(w.numpy(), expected, rtol=1e-12)


def test_global_clipnorm_of_a_non_finite_norm_gives_nan_as_keras():
    variables = [gn.Variable([0.0]), gn.Variable([0.0])]
    SGD(1.0, global_clipnorm=1.0).apply([np.array([np.inf]), np.array([1.0])], variables)
    assert np.isnan(variables[1].numpy()).all()


# ----- schedules and the learning rate -------------------------------------------------------------
def test_schedule_is_evaluated_at_iterations_before_each_step():
    schedule = PiecewiseConstantDecay([0, 1], [1.0, 0.5, 0.25])  # steps 0, 1, then 2 onwards
    w = gn.Variable([0.0], dtype="float64")
    opt = SGD(schedule)
    rates = []
    for _ in range(4):
        rates.append(opt.learning_rate)
        opt.apply([np.ones(1)], [w])
    assert rates == [1.0, 0.5, 0.25, 0.25]
    np.testing.assert_allclose(w.numpy(), [-2.0])


def test_schedule_drives_weight_decay_and_adam():
    schedule = ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5)
    grads, start = _gradients(3), _initial_weights(3)
    variables = [gn.Variable(w.copy()) for w in start]
    opt = AdamW(schedule, weight_decay=0.1)
    weights = [w.copy() for w in start]
    states = [{} for _ in start]
    for t, step_grads in enumerate(grads, start=1):
        opt.apply(step_grads, variables)
        lr = 0.1 * 0.5 ** (t - 1)
        weights = [ref_adam(w - w * 0.1 * lr, g, s, t, lr) for w, g, s in zip(weights, step_grads, states)]
    for v, want in zip(variables, weights):
        np.testing.assert_allclose(v.numpy(), want, rtol=1e-10, atol=1e-13)


def test_learning_rate_is_a_settable_float():
    opt = Adam(0.01)
    assert isinstance(opt.learning_rate, float) and opt.learning_rate == 0.01
    opt.learning_rate = 0.5
    assert opt.learning_rate == 0.5 and opt.lr == 0.5
    assert opt.get_config()["learning_rate"] == 0.5
    w = gn.Variable([0.0], dtype="float64")
    sgd = SGD(0.1)
    sgd.apply([np.ones(1)], [w])
    sgd.learning_rate = 1.0
    sgd.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-1.1])
    with pytest.raises(ValueError, match="Received: learning_rate=-0.1"):
        sgd.learning_rate = -0.1


def test_learning_rate_of_a_schedule_is_not_settable_to_a_number():
    opt = SGD(ExponentialDecay(0.1, 10, 0.5))
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.01


def test_callable_learning_rate_takes_no_arguments():
    rate = [0.5]
    w = gn.Variable([0.0], dtype="float64")
    opt = SGD(lambda: rate[0])
    opt.apply([np.ones(1)], [w])
    rate[0] = 0.25
    assert opt.learning_rate == 0.25
    opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-0.75])


def test_exclude_from_weight_decay():
    kernel, bias = gn.Variable([1.0], name="dense/kernel:0"), gn.Variable([1.0], name="dense/bias:0")
    other = gn.Variable([1.0], name="other")
    opt = SGD(0.5, weight_decay=0.1)
    opt.exclude_from_weight_decay(var_list=[other], var_names=["bias"])
    opt.apply([np.zeros(1)] * 3, [kernel, bias, other])
    assert kernel.numpy()[0] == pytest.approx(0.95) and bias.numpy()[0] == 1.0 and other.numpy()[0] == 1.0
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


# ----- invalid arguments ---------------------------------------------------------------------------
INVALID = [
    (lambda: Adam(learning_rate=-1), ValueError, "Received: learning_rate=-1"),
    (lambda: SGD(float("nan")), ValueError, "Received: learning_rate=nan"),
    (lambda: Adam(learning_rate="fast"), TypeError, "Received: learning_rate='fast'"),
    (lambda: Adam(learning_rate=True), TypeError, "Received: learning_rate=True"),
    (lambda: SGD(momentum=1.5), ValueError, r"`momentum` must be a float in \[0, 1\]. Received: momentum=1.5"),
    (lambda: SGD(momentum=-0.1), ValueError, "Received: momentum=-0.1"),
    (lambda: SGD(momentum="high"), TypeError, "Received: momentum='high'"),
    (lambda: Adam(beta_1=1.0), ValueError, r"`beta_1` must be a float in \[0, 1\). Received: beta_1=1.0"),
    (lambda: Adam(beta_2=-0.5), ValueError, "Received: beta_2=-0.5"),
    (lambda: Nadam(beta_1=1.2), ValueError, "Received: beta_1=1.2"),
    (lambda: Adam(epsilon=-1e-7), ValueError, r"`epsilon` must be a float >= 0. Received: epsilon=-1e-07"),
    (lambda: RMSprop(rho=1.5), ValueError, "Received: rho=1.5"),
    (lambda: RMSprop(momentum=2), ValueError, "Received: momentum=2"),
    (lambda: Adagrad(initial_accumulator_value=-0.1), ValueError, "Received: initial_accumulator_value=-0.1"),
    (lambda: Adam(weight_decay=-0.01), ValueError, "Received: weight_decay=-0.01"),
    (lambda: AdamW(weight_decay=None), ValueError, "Received: weight_decay=None"),
    (lambda: Adam(clipnorm=-1.0), ValueError, "Received: clipnorm=-1.0"),
    (lambda: Adam(clipvalue=-1.0), ValueError, "Received: clipvalue=-1.0"),
    (lambda: Adam(global_clipnorm=-1.0), ValueError, "Received: global_clipnorm=-1.0"),
    (lambda: Adam(clipnorm=1.0, global_clipnorm=1.0), ValueError,
     "Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"),
    (lambda: Adam(clipnorm=1.0, clipvalue=1.0), ValueError, "Only one of"),
    (lambda: Adam(decay=0.01), ValueError, "InverseTimeDecay"),
    (lambda: Adam(use_ema=True), ValueError, "Received: use_ema=True"),
    (lambda: Adam(betas=(0.9, 0.99)), TypeError, "unexpected keyword argument"),
]


@pytest.mark.parametrize("make, error, message", INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_arguments_fail_at_construction(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_lr_alias_is_accepted_with_a_deprecation_warning():
    with pytest.warns(DeprecationWarning, match="use `learning_rate`"):
        assert Adam(lr=0.01).learning_rate == 0.01
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="Received: learning_rate=-1"):
        Adam(lr=-1)


def test_numbers_of_any_kind_are_accepted():
    assert SGD(1).learning_rate == 1.0 and isinstance(SGD(1).get_config()["learning_rate"], float)
    assert Adam(np.float32(0.5)).learning_rate == 0.5
    assert SGD(0.1, momentum=np.float64(0.5)).momentum == 0.5


# ----- get / serialize ---------------------------------------------------------------------------------
@pytest.mark.parametrize("identifier, cls", [
    ("sgd", SGD), ("SGD", SGD), ("adam", Adam), ("Adam", Adam), ("ADAM", Adam), ("adamw", AdamW),
    ("AdamW", AdamW), ("rmsprop", RMSprop), ("RMSprop", RMSprop), ("adagrad", Adagrad),
    ("Adagrad", Adagrad), ("nadam", Nadam), ("Nadam", Nadam), (Adam, Adam), (RMSprop, RMSprop),
])
def test_get_resolves_names_and_classes(identifier, cls):
    opt = optimizers.get(identifier)
    assert type(opt) is cls
    assert opt.get_config() == cls().get_config()


def test_get_passes_instances_through_and_rejects_unknowns():
    opt = Adam(0.1)
    assert optimizers.get(opt) is opt
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adamax'. Expected one of \['adagrad', 'adam', "):
        optimizers.get("adamax")
    with pytest.raises(TypeError, match="Could not interpret optimizer identifier"):
        optimizers.get(42)
    with pytest.raises(ValueError, match="Unknown optimizer class: 'Ftrl'"):
        optimizers.get({"class_name": "Ftrl", "config": {}})


SERIALIZED = [
    SGD(0.05, momentum=0.9, nesterov=True, clipnorm=1.0, name="my_sgd"),
    Adam(0.002, beta_1=0.8, amsgrad=True, weight_decay=0.01, global_clipnorm=2.0),
    AdamW(0.003, weight_decay=0.02, clipvalue=0.5),
    RMSprop(0.01, rho=0.8, momentum=0.5, centered=True),
    Adagrad(0.1, initial_accumulator_value=0.5, epsilon=1e-6),
    Nadam(ExponentialDecay(0.1, decay_steps=100, decay_rate=0.9, staircase=True)),
]


@pytest.mark.parametrize("opt", SERIALIZED, ids=[type(o).__name__ for o in SERIALIZED])
def test_serialize_round_trip(opt):
    config = optimizers.serialize(opt)
    assert config["class_name"] == type(opt).__name__
    clone = optimizers.get(config)
    assert type(clone) is type(opt)
    assert optimizers.serialize(clone) == config
    assert clone.learning_rate == opt.learning_rate


def test_from_config_accepts_keras_only_keys_at_their_defaults():
    config = {"name": "adam", "learning_rate": 0.001, "weight_decay": None, "clipnorm": None,
              "global_clipnorm": None, "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
              "ema_overwrite_frequency": None, "loss_scale_factor": None,
              "gradient_accumulation_steps": None, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07,
              "amsgrad": False, "jit_compile": True, "is_legacy_optimizer": False}
    opt = optimizers.deserialize({"module": "keras.optimizers", "class_name": "Adam", "config": config,
                                  "registered_name": None})
    assert isinstance(opt, Adam) and opt.learning_rate == 0.001


# ----- state ----------------------------------------------------------------------------------------------
STATE_KEYS = [
    (SGD(0.1), ["iterations", "learning_rate"]),
    (SGD(0.1, momentum=0.9), ["iterations", "learning_rate", "momentum/0", "momentum/1"]),
    (Adam(amsgrad=True), ["iterations", "learning_rate", "momentum/0", "momentum/1", "velocity/0",
                          "velocity/1", "velocity_hat/0", "velocity_hat/1"]),
    (RMSprop(momentum=0.5, centered=True), ["iterations", "learning_rate", "velocity/0", "velocity/1",
                                            "momentum/0", "momentum/1", "average_gradient/0",
                                            "average_gradient/1"]),
    (Adagrad(), ["iterations", "learning_rate", "accumulator/0", "accumulator/1"]),
    (Nadam(ExponentialDecay(0.1, 10, 0.5)), ["iterations", "momentum/0", "momentum/1", "velocity/0",
                                             "velocity/1", "u_product"]),
]


@pytest.mark.parametrize("opt, keys", STATE_KEYS, ids=[type(o).__name__ for o, _ in STATE_KEYS])
def test_state_names_are_deterministic_and_iterations_come_first(opt, keys):
    variables = [gn.Variable(np.ones((2, 3))), gn.Variable(np.ones(3))]
    assert list(opt.get_state()) == [k for k in keys if k in ("iterations", "learning_rate")]  # unbuilt
    opt.build(variables)
    assert list(opt.get_state()) == keys
    assert len(opt.variables) == len(keys)
    assert opt.variables[0].shape == () and opt.variables[0].dtype == np.int64


@pytest.mark.parametrize("name, cls, kwargs, reference", ROWS, ids=ROW_IDS)
def test_set_state_restores_identical_next_updates(name, cls, kwargs, reference):
    grads = _gradients(4)
    first = [gn.Variable(w.astype(np.float32)) for w in _initial_weights(4)]
    opt = cls(**kwargs)
    for step_grads in grads[:2]:
        opt.apply(step_grads, first)
    saved_state = opt.get_state()
    saved_weights = [v.numpy().copy() for v in first]
    opt.apply(grads[2], first)

    second = [gn.Variable(w) for w in saved_weights]
    restored = optimizers.deserialize(optimizers.serialize(opt))
    restored.build(second)
    restored.set_state(saved_state)
    if "learning_rate" in saved_state:
        assert restored.learning_rate == opt.learning_rate
    restored.apply(grads[2], second)
    assert restored.iterations == opt.iterations == 3
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for (key, a), b in zip(opt.get_state().items(), restored.get_state().values()):
        np.testing.assert_array_equal(a, b, err_msg=key)


def test_get_state_returns_copies_and_variables_are_live():
    w = gn.Variable([1.0])
    opt = SGD(0.1, momentum=0.9)
    opt.apply([np.ones(1)], [w])
    state = opt.get_state()
    opt.apply([np.ones(1)], [w])
    assert int(state["iterations"]) == 1 and opt.iterations == 2
    assert opt.variables[0] is opt.variables[0] and int(opt.variables[0]) == 2


def test_set_state_rejects_mismatches():
    w = gn.Variable([1.0, 2.0])
    opt = Adam()
    with pytest.raises(ValueError, match="not built yet"):
        opt.set_state({"iterations": np.array(3), "learning_rate": np.array(0.1), "momentum/0": np.zeros(2),
                       "velocity/0": np.zeros(2)})
    opt.build([w])
    state = opt.get_state()
    with pytest.raises(ValueError, match=r"missing \['velocity/0'\]"):
        opt.set_state({k: v for k, v in state.items() if k != "velocity/0"})
    with pytest.raises(ValueError, match=r"'momentum/0' has shape \(3,\); expected \(2,\)"):
        opt.set_state({**state, "momentum/0": np.zeros(3)})
    opt.set_state({**state, "iterations": np.array(7), "learning_rate": np.array(0.25)})
    assert opt.iterations == 7 and opt.learning_rate == 0.25


# ----- convergence ----------------------------------------------------------------------------------------
CONVERGENCE = [
    (SGD(0.1), 200), (SGD(0.05, momentum=0.9, nesterov=True), 200), (Adam(0.1), 300),
    (AdamW(0.1, weight_decay=1e-4), 300), (RMSprop(0.05), 300), (RMSprop(0.01, momentum=0.9, centered=True), 300),
    (Adagrad(1.0), 300), (Nadam(0.1), 300),
]


@pytest.mark.parametrize("opt, steps", CONVERGENCE, ids=[type(o).__name__ for o, _ in CONVERGENCE])
def test_minimises_a_quadratic(opt, steps):
    # f(w) = 0.5 * sum(a * (w - c)^2), gradient a * (w - c), minimum at c
    a = np.array([1.0, 3.0, 0.5], dtype=np.float32)
    c = np.array([1.0, -2.0, 0.5], dtype=np.float32)
    w = gn.Variable(np.zeros(3, dtype=np.float32))
    for _ in range(steps):
        opt.apply([a * (w.data - c)], [w])
    np.testing.assert_allclose(w.numpy(), c, atol=0.05)


def test_every_optimizer_is_an_optimizer_and_gettable_by_name():
    for cls in (SGD, Adam, AdamW, RMSprop, Adagrad, Nadam):
        assert issubclass(cls, Optimizer)
        assert type(optimizers.get(cls.__name__.lower())) is cls
