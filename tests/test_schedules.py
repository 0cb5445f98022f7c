"""Learning-rate schedules against their Keras 3 formulas, written out here.

Each row: a schedule, and the formula it documents as a plain Python function of the
step; the two must agree at every step in ``STEPS`` (which crosses the warmup, decay
and boundary points of the rows).
"""

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.optimizers import SGD, schedules
from glassnet.optimizers.schedules import (
    CosineDecay, ExponentialDecay, InverseTimeDecay, LearningRateSchedule, PiecewiseConstantDecay,
    PolynomialDecay,
)

STEPS = [0, 1, 2, 3, 4, 5, 7, 10, 11, 15, 20, 25, 100]


def _cosine(initial, decay_steps, alpha=0.0, warmup_target=None, warmup_steps=0):
    def lr(step):
        if warmup_target is None:
            s = min(step, decay_steps)
            return initial * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
        s = min(step, warmup_steps + decay_steps)
        if s < warmup_steps:
            return initial + (warmup_target - initial) * s / warmup_steps
        s -= warmup_steps
        return warmup_target * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * s / decay_steps)) + alpha)
    return lr


def _polynomial_cycle(initial, decay_steps, end, power):
    def lr(step):
        steps = decay_steps * (1 if step == 0 else math.ceil(step / decay_steps))
        return (initial - end) * (1 - step / steps) ** power + end
    return lr


ROWS = [
    ("exponential", ExponentialDecay(0.1, decay_steps=10, decay_rate=0.5),
     lambda s: 0.1 * 0.5 ** (s / 10)),
    ("exponential-staircase", ExponentialDecay(0.1, decay_steps=4, decay_rate=0.9, staircase=True),
     lambda s: 0.1 * 0.9 ** (s // 4)),
    ("inverse-time", InverseTimeDecay(0.5, decay_steps=2, decay_rate=0.3),
     lambda s: 0.5 / (1 + 0.3 * s / 2)),
    ("inverse-time-staircase", InverseTimeDecay(0.5, decay_steps=3, decay_rate=1.0, staircase=True),
     lambda s: 0.5 / (1 + 1.0 * (s // 3))),
    ("piecewise", PiecewiseConstantDecay([3, 10, 20], [1.0, 0.5, 0.1, 0.01]),
     lambda s: 1.0 if s <= 3 else 0.5 if s <= 10 else 0.1 if s <= 20 else 0.01),
    ("polynomial", PolynomialDecay(1.0, decay_steps=10, end_learning_rate=0.1, power=2.0),
     lambda s: (1.0 - 0.1) * (1 - min(s, 10) / 10) ** 2 + 0.1),
    ("polynomial-cycle", PolynomialDecay(1.0, decay_steps=4, end_learning_rate=0.0, power=1.0, cycle=True),
     _polynomial_cycle(1.0, 4, 0.0, 1.0)),
    ("cosine", CosineDecay(0.1, decay_steps=20), _cosine(0.1, 20)),
    ("cosine-alpha", CosineDecay(0.1, decay_steps=10, alpha=0.2), _cosine(0.1, 10, alpha=0.2)),
    ("cosine-warmup", CosineDecay(0.0, decay_steps=15, warmup_target=0.2, warmup_steps=5),
     _cosine(0.0, 15, warmup_target=0.2, warmup_steps=5)),
    ("cosine-warmup-alpha", CosineDecay(0.01, decay_steps=10, alpha=0.1, warmup_target=0.1, warmup_steps=4),
     _cosine(0.01, 10, alpha=0.1, warmup_target=0.1, warmup_steps=4)),
]


@pytest.mark.parametrize("name, schedule, formula", ROWS, ids=[r[0] for r in ROWS])
def test_values_match_the_formula(name, schedule, formula):
    for step in STEPS:
        got = schedule(step)
        assert isinstance(got, float)
        assert got == pytest.approx(formula(step), rel=1e-12, abs=1e-15), f"{name} at step {step}"


@pytest.mark.parametrize("name, schedule, formula", ROWS, ids=[r[0] for r in ROWS])
def test_accepts_array_and_tensor_steps(name, schedule, formula):
    assert schedule(np.int64(7)) == schedule(np.array(7)) == schedule(gn.tensor(7)) == schedule(7)


@pytest.mark.parametrize("name, schedule, formula", ROWS, ids=[r[0] for r in ROWS])
def test_config_round_trip(name, schedule, formula):
    config = schedules.serialize(schedule)
    clone = schedules.deserialize(config)
    assert type(clone) is type(schedule) and clone.get_config() == schedule.get_config()
    assert [clone(s) for s in STEPS] == [schedule(s) for s in STEPS]


@pytest.mark.parametrize("name, schedule, formula", ROWS, ids=[r[0] for r in ROWS])
def test_optimizer_uses_the_schedule_at_each_step(name, schedule, formula):
    # SGD from w = 0 with gradient 1: after n steps w = -sum(lr(0..n-1)).
    w = gn.Variable([0.0], dtype="float64")
    opt = SGD(schedule)
    for _ in range(12):
        assert opt.learning_rate == schedule(opt.iterations)
        opt.apply([np.ones(1)], [w])
    assert w.numpy()[0] == pytest.approx(-sum(formula(s) for s in range(12)), rel=1e-12)


def test_cosine_keras_signature_has_name_fourth():
    schedule = CosineDecay(0.1, 100, 0.0, "my_cosine", 0.5, 10)
    assert schedule.name == "my_cosine" and schedule.warmup_target == 0.5 and schedule.warmup_steps == 10


def test_custom_schedule_subclass():
    class Halving(LearningRateSchedule):
        def __call__(self, step):
            return 1.0 / 2 ** int(step)

        def get_config(self):
            return {}

    w = gn.Variable([0.0], dtype="float64")
    opt = SGD(Halving())
    for _ in range(3):
        opt.apply([np.ones(1)], [w])
    assert w.numpy()[0] == -1.75
    clone = schedules.deserialize(schedules.serialize(Halving()), custom_objects={"Halving": Halving})
    assert isinstance(clone, Halving)


INVALID = [
    (lambda: ExponentialDecay(0.1, 0, 0.9), ValueError, "`decay_steps` must be > 0. Received: decay_steps=0"),
    (lambda: InverseTimeDecay(0.1, -1, 0.9), ValueError, "Received: decay_steps=-1"),
    (lambda: PolynomialDecay(0.1, 0), ValueError, "Received: decay_steps=0"),
    (lambda: CosineDecay(0.1, 0), ValueError, "Received: decay_steps=0"),
    (lambda: CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=-1), ValueError, "Received: warmup_steps=-1"),
    (lambda: ExponentialDecay("0.1", 10, 0.9), TypeError, "Received: initial_learning_rate='0.1'"),
    (lambda: PiecewiseConstantDecay([1, 2], [1.0, 0.5]), ValueError, "1 less than the length of values"),
    (lambda: PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1]), ValueError, "strictly increasing"),
    (lambda: schedules.deserialize({"class_name": "Bogus", "config": {}}), ValueError,
     "Unknown learning rate schedule"),
]


@pytest.mark.parametrize("make, error, message", INVALID, ids=[m for _, _, m in INVALID])
def test_invalid_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()
