"""Backpropagation through a 2-layer network on one sample, by hand and as a Keras model.

The network: a1 = relu(w1 x + b1), a2 = relu(w2 a1 + b2), cost J = 1/2 (a2 - y)^2, at
x = 1, y = 5, w1 = 2, b1 = 0, w2 = 3, b2 = 1. Part 1 builds it node by node, prints each
value left to right and each derivative right to left, and checks every derivative
against finite differences. Part 2 builds the same network from two Dense layers,
draws one training step grouped by layer, and checks every weight's gradient with
``check_model_gradients``.

Run: ``python examples/backprop_two_layer.py [--output-dir .]``
(pictures need Graphviz: ``apt-get install graphviz``; everything else is printed).
"""

from __future__ import annotations

import argparse
import os

import numpy as np

import glassnet as gn
from glassnet.keras import Sequential
from glassnet.keras.layers import Dense
from glassnet.testing import check_model_gradients, derivative
from glassnet.viz import graph, model_graph
from glassnet.viz.graph import GraphvizNotFoundError

X, Y = 1.0, 5.0
PARAMETERS = {"w1": 2.0, "b1": 0.0, "w2": 3.0, "b2": 1.0}
# each node: its name, how it is computed, and how it is computed from the nodes to its left
STEPS = [
    ("t1", "w1 * x", lambda n: n["w1"] * n["x"]),
    ("z1", "t1 + b1", lambda n: n["t1"] + n["b1"]),
    ("a1", "relu(z1)", lambda n: gn.nn.relu(n["z1"])),
    ("t2", "w2 * a1", lambda n: n["w2"] * n["a1"]),
    ("z2", "t2 + b2", lambda n: n["t2"] + n["b2"]),
    ("a2", "relu(z2)", lambda n: gn.nn.relu(n["z2"])),
    ("d", "a2 - y", lambda n: n["a2"] - n["y"]),
    ("d²", "d ** 2", lambda n: n["d"] ** 2),
    ("J", "0.5 * d²", lambda n: 0.5 * n["d²"]),
]
# the derivatives, right to left, each from the ones to its right by the chain rule
RULES = [("J", "J is the result"), ("d²", "J = 0.5 d²"), ("d", "dJ/dd² * 2d"), ("a2", "dJ/dd"),
         ("z2", "dJ/da2 * relu'(z2), 1 since z2 > 0"), ("t2", "dJ/dz2"), ("b2", "dJ/dz2"),
         ("w2", "dJ/dt2 * a1"), ("a1", "dJ/dt2 * w2"), ("z1", "dJ/da1 * relu'(z1)"), ("t1", "dJ/dz1"),
         ("b1", "dJ/dz1"), ("w1", "dJ/dt1 * x")]


def as_float64(value):
    """A number as a float64 tensor (Python floats would become float32), tensors as they are."""
    return value if isinstance(value, gn.Tensor) else gn.tensor(value, dtype="float64")


def forward(parameters, replace=None):
    """Compute the nodes left to right; ``replace={name: value}`` forces a node's value."""
    replace = replace or {}
    x, y = gn.tensor(X, dtype="float64"), gn.tensor(Y, dtype="float64")
    x.name, y.name = "x", "y"
    nodes = {"x": x, "y": y, **{k: as_float64(replace.get(k, v)) for k, v in parameters.items()}}
    for name, _, rule in STEPS:
        nodes[name] = as_float64(replace[name]) if name in replace else rule(nodes)
    return nodes


def draw(picture, path):
    try:
        print(f"wrote {picture.render(path)}")
    except GraphvizNotFoundError as error:
        print(f"(no picture: {error})")


def by_hand(output_dir) -> None:
    print("Part 1: the network node by node")
    variables = {k: gn.Variable(v, name=k, dtype="float64") for k, v in PARAMETERS.items()}
    nodes = forward(variables)
    for name, _, _ in STEPS:
        nodes[name].name = name
        nodes[name].retain_grad()
    print("  forward, left to right:")
    for name, formula, _ in STEPS:
        print(f"    {name:<3} = {formula:<9} = {float(nodes[name]):g}")
    nodes["J"].backward()
    print("  backward, right to left:")
    for name, rule in RULES:
        print(f"    dJ/d{name:<3} = {float(nodes[name].grad):<4g}  ({rule})")

    print("  checked against central finite differences (eps = 0.001):")
    worst = 0.0
    for name, _ in RULES:
        J_of = lambda v, name=name: forward(PARAMETERS, replace={name: v})["J"]  # noqa: E731
        numeric = derivative(J_of, float(nodes[name]), central=True)
        worst = max(worst, abs(numeric - float(nodes[name].grad)))
    print(f"    largest |numeric - backprop| over all {len(RULES)} nodes = {worst:.1e}: "
          f"{'every derivative matches' if worst < 1e-6 else 'MISMATCH'}")
    g = graph(nodes["J"], title="a 2-layer network on one sample: J = 1/2 (a2 - y)^2")
    print(f"\n{g}\n")
    draw(g, os.path.join(output_dir, "two_layer_graph.svg"))


def as_a_model(output_dir) -> None:
    print("\nPart 2: the same network as two Dense layers")
    model = Sequential([gn.keras.Input(shape=(1,)), Dense(1, activation="relu", name="layer1"),
                        Dense(1, activation="relu", name="layer2")], name="two_layer")
    model.set_weights([np.array([[PARAMETERS["w1"]]]), np.array([PARAMETERS["b1"]]),
                       np.array([[PARAMETERS["w2"]]]), np.array([PARAMETERS["b2"]])])
    model.compile(loss="mse", optimizer="sgd")
    x, y = np.array([[X]]), np.array([Y])
    step = model_graph(model, x, y)
    print(step)
    grads = {w.name: float(w.grad.numpy().ravel()[0]) for w in model.trainable_weights}
    print("  Keras's mse has no 1/2: the loss is (7 - 5)^2 = 4, so every gradient is twice part 1's:")
    print("    " + ", ".join(f"d loss/d {name} = {value:g}" for name, value in grads.items()))
    draw(step, os.path.join(output_dir, "two_layer_model.svg"))
    draw(model_graph(model, x, y, expand=True), os.path.join(output_dir, "two_layer_model_expanded.svg"))
    print()
    check_model_gradients(model, x, y)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output-dir", default=".", help="where the pictures go")
    args = parser.parse_args(argv)
    os.makedirs(args.output_dir, exist_ok=True)
    by_hand(args.output_dir)
    as_a_model(args.output_dir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
