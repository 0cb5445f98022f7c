"""The ``glassnet`` command line.

``glassnet demo`` walks through the course's backpropagation examples with the
engine: a derivative checked against the seed's epsilon estimate, then the
computation graph of J = 1/2 (w x + b - y)^2 with each node's value (left to right)
and each derivative (right to left).
"""

from __future__ import annotations

import argparse
import sys

from . import __version__

__all__ = ["main"]


def _derivative_demo(out) -> None:
    import glassnet as gn

    out.write("1. A derivative: J(w) = w^2 at w = 3\n")
    w = gn.tensor(3.0, dtype="float64", requires_grad=True)
    J = w ** 2
    J.backward()
    eps = 0.001
    nudged = float((w.detach() + eps) ** 2)
    out.write(f"   backprop:            dJ/dw = {float(w.grad):g}\n")
    out.write(f"   nudge w by {eps}:    J goes {float(J):g} -> {nudged:.6f}, "
              f"(J(w+e) - J(w)) / e = {(nudged - float(J)) / eps:.6f}\n\n")


def _graph_demo(out) -> None:
    import glassnet as gn

    out.write("2. A computation graph: J = 1/2 (w x + b - y)^2, w = 2, b = 8, x = -2, y = 2\n")
    w = gn.tensor(2.0, dtype="float64", requires_grad=True)
    b = gn.tensor(8.0, dtype="float64", requires_grad=True)
    x, y = -2.0, 2.0
    c = (w * x).retain_grad()
    a = (c + b).retain_grad()
    d = (a - y).retain_grad()
    J = 0.5 * d ** 2
    nodes = [("c = w * x", c), ("a = c + b", a), ("d = a - y", d), ("J = d^2 / 2", J)]
    out.write("   forward, left to right:\n")
    for label, t in nodes:
        out.write(f"     {label:<14} = {float(t):g}\n")
    J.backward()
    out.write("   backward, right to left:\n")
    derivatives = [(label.split(" = ")[0], t) for label, t in reversed(nodes[:-1])]
    for name, t in derivatives + [("w", w), ("b", b)]:
        out.write(f"     dJ/d{name:<10} = {float(t.grad):g}\n")
    order = gn.autograd.topological_order(J)
    out.write(f"   the graph has {len(order)} operation nodes: "
              f"{', '.join(t.node.name for t in order)}\n")


def demo(out=sys.stdout) -> int:
    """Run the engine on the course's backpropagation examples and print what it computes."""
    out.write(f"glassnet {__version__}: backpropagation through a computation graph\n\n")
    _derivative_demo(out)
    _graph_demo(out)
    return 0


def main(argv=None) -> int:
    """Entry point of the ``glassnet`` console script and ``python -m glassnet``."""
    parser = argparse.ArgumentParser(prog="glassnet", description="glassnet command line")
    parser.add_argument("--version", action="version", version=f"glassnet {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("demo", help="show backpropagation on the course's examples")
    args = parser.parse_args(argv)
    if args.command == "demo":
        return demo()
    parser.error(f"unknown command {args.command!r}")
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
