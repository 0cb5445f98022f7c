"""Backpropagation by hand: the seeds' computation graph, node by node.

The seeds draw J(w, b) = 1/2 (w x + b - y)^2 at w = 2, b = 8, x = -2, y = 2 as a chain
of small steps, compute each node's value from left to right, then each derivative
dJ/d(node) from right to left, every one from the one to its right by the chain rule.
This script asks glassnet's engine for the same numbers, checks each derivative against
the seeds' finite difference (nudge the node by epsilon, see how J moves), and draws the
graph.

Run: ``python examples/backprop_by_hand.py [--output backprop_graph.svg]``
(drawing needs Graphviz: ``apt-get install graphviz``; everything else is printed).
"""

from __future__ import annotations

import argparse

import glassnet as gn
from glassnet.testing import derivative
from glassnet.viz import graph
from glassnet.viz.graph import GraphvizNotFoundError

W, B, X, Y = 2.0, 8.0, -2.0, 2.0
# each node: its name and how it is computed from the nodes to its left
STEPS = [("c", "w * x"), ("a", "c + b"), ("d", "a - y"), ("d²", "d ** 2"), ("J", "0.5 * d²")]
# each derivative, right to left, from the one to its right by the chain rule
RULES = [("J", "J is the result"), ("d²", "J = 0.5 d²"), ("d", "dJ/dd² * 2d"), ("a", "dJ/dd * 1"),
         ("c", "dJ/da * 1"), ("b", "dJ/da * 1"), ("w", "dJ/dc * x")]


def as_float64(value):
    """A number as a float64 tensor (Python floats would become float32), tensors as they are."""
    return value if isinstance(value, gn.Tensor) else gn.tensor(value, dtype="float64")


def forward(w=W, b=B, replace=None):
    """Compute the graph left to right; ``replace={name: value}`` forces a node's value
    (what a finite difference nudges). Returns the nodes by name, inputs first."""
    replace = replace or {}
    x, y = gn.tensor(X, dtype="float64"), gn.tensor(Y, dtype="float64")
    x.name, y.name = "x", "y"
    nodes = {"w": as_float64(replace.get("w", w)), "b": as_float64(replace.get("b", b))}
    rules = {
        "c": lambda n: n["w"] * x,
        "a": lambda n: n["c"] + n["b"],
        "d": lambda n: n["a"] - y,
        "d²": lambda n: n["d"] ** 2,
        "J": lambda n: 0.5 * n["d²"],
    }
    for name, rule in rules.items():
        nodes[name] = as_float64(replace[name]) if name in replace else rule(nodes)
    return nodes


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="backprop_graph.svg", help="where to draw the graph (.svg, .png, .pdf)")
    args = parser.parse_args(argv)

    w = gn.Variable(W, name="w", dtype="float64")
    b = gn.Variable(B, name="b", dtype="float64")
    nodes = forward(w, b)
    for name, _ in STEPS:
        nodes[name].name = name
        nodes[name].retain_grad()  # keep dJ/d(node) for the intermediate nodes too
    J = nodes["J"]

    print(f"J = 1/2 (w x + b - y)^2 with w = {W:g}, b = {B:g}, x = {X:g}, y = {Y:g}\n")
    print("forward, left to right: each node's value")
    for name, formula in STEPS:
        print(f"  {name:<3} = {formula:<9} = {float(nodes[name]):g}")

    J.backward()
    print("\nbackward, right to left: each derivative dJ/d(node), from the one to its right")
    for name, rule in RULES:
        print(f"  dJ/d{name:<3} = {float(nodes[name].grad):<4g}  ({rule})")

    eps = 1e-3
    print(f"\ncheck against finite differences (eps = {eps:g}): nudge one node, recompute J to its right")
    print(f"  {'node':<5} {'backprop':>9} {'(J(v+e)-J(v))/e':>17} {'central':>10}")
    worst = 0.0
    for name, _ in RULES:
        value = float(nodes[name])
        J_of = lambda v, name=name: forward(replace={name: v})["J"]  # noqa: E731
        one_sided = derivative(J_of, value, eps=eps)
        central = derivative(J_of, value, eps=eps, central=True)
        backprop = float(nodes[name].grad)
        worst = max(worst, abs(central - backprop))
        print(f"  {name:<5} {backprop:>9g} {one_sided:>17.6f} {central:>10.6f}")
    verdict = "every derivative matches" if worst < 1e-6 else "MISMATCH"
    print(f"  largest |central - backprop| = {worst:.1e}: {verdict}")

    g = graph(J, title="J = 1/2 (w x + b - y)^2 at w = 2, b = 8, x = -2, y = 2: values left to right, "
                       "gradients right to left")
    print(f"\n{g}\n")
    try:
        print(f"wrote {g.render(args.output)}")
    except GraphvizNotFoundError as error:
        print(f"(no picture: {error})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
