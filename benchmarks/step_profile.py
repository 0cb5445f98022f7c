"""Where one training step's time goes: each op's forward and backward, the optimizer, the rest.

Trains one of the suite's workloads (``benchmarks/workloads.py``) for a warm-up epoch,
then times one more epoch with every op of the recorded step wrapped in a timer (its
general rules and those it specializes for the replay), and prints milliseconds per
step by op and direction, the optimizer's update, and what is left (batching, the loop,
the replay's own bookkeeping). The timers cost about a
microsecond per call, so on the small models the total runs a little above the suite's.

Run: ``python benchmarks/step_profile.py cnn [--scale 0.2]``.
"""

from __future__ import annotations

import argparse
import collections
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import glassnet as gn  # noqa: E402
import peers  # noqa: E402
import workloads  # noqa: E402


def _timed(function, key, totals):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            totals[key] += time.perf_counter() - start
    return timed


def _timed_rules(op, totals):
    """``op.specialize`` whose rules (see Function.specialize), when it gives any, are timed."""
    specialize = op.specialize

    def timed_specialize(attrs, inputs, needs_grad):
        rules = specialize(attrs, inputs, needs_grad)
        if rules is None:
            return None
        return tuple(_timed(rule, (op.__name__, direction), totals)
                     for rule, direction in zip(rules, ("forward", "backward")))
    return timed_specialize


def profile(name: str, scale: float) -> None:
    spec = workloads.WORKLOADS[name]
    x, y = workloads.make_data(name, scale)
    gn.random.set_seed(0)
    model = peers._keras_model(spec, workloads.initial_weights(spec), gn)
    loss = (gn.keras.losses.BinaryCrossentropy() if spec["loss"] == workloads.BINARY
            else gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.compile(loss=loss, optimizer=gn.keras.optimizers.Adam(spec["learning_rate"]))
    model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)  # records and compiles the steps

    totals = collections.defaultdict(float)
    ops = {step[0] for plan in model.recorded_steps.values() if plan for step in plan.steps}
    directions = ("forward", "backward")
    saved = {op: {attribute: vars(op).get(attribute) for attribute in (*directions, "specialize")} for op in ops}
    for op in ops:
        for direction in directions:
            setattr(op, direction, staticmethod(_timed(getattr(op, direction), (op.__name__, direction), totals)))
        setattr(op, "specialize", staticmethod(_timed_rules(op, totals)))
    apply = model.optimizer.apply
    model.optimizer.apply = _timed(apply, ("optimizer", "apply"), totals)
    try:
        model.clear_step_plans()  # recorded again, with the timed rules (a replay's own too)
        model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)
        totals.clear()
        start = time.perf_counter()
        model.fit(x, y, batch_size=spec["batch"], epochs=1, verbose=0)
        elapsed = time.perf_counter() - start
    finally:
        for op, rules in saved.items():
            for attribute, rule in rules.items():
                if rule is None:  # inherited: drop the wrapper to expose it again
                    delattr(op, attribute)
                else:
                    setattr(op, attribute, rule)
        model.clear_step_plans()  # they hold the timed rules
        del model.optimizer.apply

    steps = workloads.steps_per_epoch(spec, len(x))
    print(f"{name}: {len(x)} samples, batch {spec['batch']}, {steps} steps; ms per step")
    for (what, direction), seconds in sorted(totals.items(), key=lambda item: -item[1]):
        print(f"  {what:>38s} {direction:<9s} {seconds / steps * 1e3:9.4f}")
    rest = elapsed - sum(totals.values())
    print(f"  {'the rest (batches, loop, replay)':>38s} {'':<9s} {rest / steps * 1e3:9.4f}")
    print(f"  {'whole step':>38s} {'':<9s} {elapsed / steps * 1e3:9.4f}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workload", choices=sorted(workloads.WORKLOADS))
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the data set (default 1)")
    args = parser.parse_args(argv)
    profile(args.workload, args.scale)


if __name__ == "__main__":
    main()
