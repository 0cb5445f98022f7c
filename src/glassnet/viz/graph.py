"""See the computation graph behind a tensor: every node, its value and its gradient.

``graph(t)`` follows each node's ``inputs`` from ``t`` back to the leaves (the walk the
reverse pass makes) and returns a :class:`Graph`. Its nodes come in a left-to-right
order, inputs before the operations that use them; each shows its op, inputs, shape,
dtype and summaries of its value and gradient. ``print(g)`` shows the graph as an
indented tree read from the result back to the leaves, ``g.to_dot()`` returns Graphviz
DOT text, ``g.render("graph.svg")`` draws it (Graphviz needed) and a notebook displays
it as SVG.

Summaries read the tensors whenever they are shown, so a graph taken before
``backward()`` shows the gradients once it has run. Leaves that require a gradient
always get one; an intermediate tensor keeps its gradient only after
``t.retain_grad()``. Name a tensor (``t.name = "c"``) to see the name on its node.

Example:
    >>> import glassnet as gn
    >>> from glassnet.viz import graph
    >>> w = gn.Variable(3.0, name="w", dtype="float64")
    >>> J = w ** 2
    >>> J.name = "J"
    >>> J.retain_grad().backward()
    >>> g = graph(J)
    >>> [node.label for node in g.nodes], g.edges
    (['w', '2', 'J = Power'], [('n0', 'n2'), ('n1', 'n2')])
    >>> print(g)
    computation graph of J: 1 operation, 1 leaf, 1 constant (read top-down: result back to inputs)
    J = Power  () float64  value 9  grad 1
    ├── w      () float64  value 3  grad 6
    └── 2      () int64    value 2  (constant)
"""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np

from ..autograd import Tensor, topological_order

__all__ = [
    "Graph", "GraphvizNotFoundError", "Node", "graph", "graphviz_available",
    "missing_graphviz_message", "render_dot",
]

# What a node is: made by an operation, a leaf that takes a gradient (a parameter),
# a leaf that does not (data), or a plain number or array passed to an op.
KINDS = ("op", "parameter", "input", "constant")

_STYLE = {
    "op": 'shape=box, style="rounded,filled", fillcolor="#dae8fc"',
    "parameter": 'shape=ellipse, style=filled, fillcolor="#d5e8d4"',
    "input": 'shape=ellipse, style=filled, fillcolor="#eeeeee"',
    "constant": 'shape=plaintext, fontcolor="#555555"',
}
RENDER_FORMATS = ("svg", "png", "pdf")


# ----- summaries -----------------------------------------------------------------------
def summarize(array) -> str:
    """A short text for an array: its value when it has one element, else min/mean/max.

    Example:
        >>> import numpy as np
        >>> summarize(np.array(2.5)), summarize(np.array([1.0, 2.0, 6.0]))
        ('2.5', 'min 1  mean 3  max 6')
    """
    array = np.asarray(array)
    if array.size == 0:
        return "empty"
    if array.dtype.kind not in "biufc":
        return f"<{array.dtype}>"
    if array.size == 1:
        return f"{array.reshape(()).item():.4g}"
    values = array.astype(np.float64) if array.dtype.kind in "bc" else array
    return f"min {values.min():.3g}  mean {values.mean():.3g}  max {values.max():.3g}"


def _shape_text(shape) -> str:
    return "(" + ", ".join(str(d) for d in shape) + ("," if len(shape) == 1 else "") + ")"


def _attrs_text(attrs) -> str:
    shown = [f"{key}={value}" for key, value in attrs.items() if value is not None and value is not False]
    return f"({', '.join(shown)})" if shown else ""


class Node:
    """One node of a :class:`Graph`.

    Attributes:
        id: the node's DOT id (``n0``, ``n1`` ...), in left-to-right order.
        kind: 'op', 'parameter' (a leaf that requires a gradient), 'input' (a leaf that
            does not) or 'constant' (a number or array passed to an op).
        op: the operation's name ('Multiply', 'Dense' ...), or None for leaves and constants.
        name: the tensor's name (a Variable's 'dense/kernel:0', or one you set), or None.
        inputs: ids of the input nodes, in the op's argument order.
        attrs: the op's keyword settings (``axis``, ``activation`` ...).
        tensor: the Tensor behind the node (None for a constant).
        constant: the constant's value (constants only).
    """

    __slots__ = ("id", "kind", "op", "name", "inputs", "attrs", "tensor", "constant")

    def __init__(self, id, kind, op=None, name=None, inputs=(), attrs=None, tensor=None, constant=None):
        self.id = id
        self.kind = kind
        self.op = op
        self.name = name
        self.inputs = tuple(inputs)
        self.attrs = dict(attrs or {})
        self.tensor = tensor
        self.constant = constant

    @property
    def array(self):
        """The node's value as a NumPy array."""
        if self.tensor is not None:
            return self.tensor.numpy()
        return np.asarray(self.constant)

    @property
    def shape(self) -> tuple:
        return tuple(np.shape(self.array))

    @property
    def dtype(self) -> str:
        return str(self.array.dtype)

    @property
    def label(self) -> str:
        """The name of a leaf, ``name = Op`` for a named op, the value of a constant."""
        if self.kind == "op":
            op = self.op + _attrs_text(self.attrs)
            return f"{self.name} = {op}" if self.name else op
        if self.kind == "constant":
            return summarize(self.constant) if np.size(self.constant) == 1 else "constant"
        return self.name or ("parameter" if self.kind == "parameter" else "input")

    @property
    def value(self) -> str:
        """A summary of the node's value (see :func:`summarize`)."""
        return summarize(self.array)

    @property
    def grad(self) -> str:
        """A summary of the gradient the last ``backward()`` left on the tensor, or why there is none."""
        if self.kind in ("input", "constant"):
            return f"({self.kind})"
        grad = self.tensor.grad
        if grad is None:
            return "no grad (not retained)" if self.kind == "op" else "no grad (backward() not run)"
        return "grad " + summarize(grad.numpy())

    def __repr__(self):
        return f"<Node {self.id} {self.label!r} {self.kind} shape={self.shape}>"


# ----- the graph ---------------------------------------------------------------------
class _Drawable:
    """What a picture of a graph can do once it can write DOT: render, and show in notebooks."""

    def to_dot(self) -> str:  # pragma: no cover - the contract
        raise NotImplementedError(f"{type(self).__name__} must write its graph as DOT.")

    def render(self, path, format=None) -> str:
        """Draw the graph with Graphviz into ``path`` and return the path.

        Args:
            path: the file to write; its suffix picks the format ('.svg', '.png',
                '.pdf'); '.dot' and '.gv' write the DOT text and need no Graphviz.
            format: overrides the suffix.

        Raises:
            GraphvizNotFoundError: when Graphviz's ``dot`` program is not installed.
        """
        return render_dot(self.to_dot(), path, format=format)

    def _repr_svg_(self):
        """Jupyter's hook: the graph as SVG, or None (the text form) without Graphviz."""
        if not graphviz_available():
            return None
        return pipe_dot(self.to_dot(), "svg").decode("utf-8")


class Graph(_Drawable):
    """The computation graph that produced a tensor (see :func:`graph`).

    Attributes:
        nodes: the :class:`Node` list, inputs before the operations that use them.
        edges: ``(source id, target id)`` pairs, one per op input (a tensor used twice
            by one op gives two edges).
        root: the node of the tensor the graph was taken from.
    """

    def __init__(self, nodes, root, title=None):
        self.nodes = list(nodes)
        self.root = root
        self.title = title
        self._by_id = {node.id: node for node in self.nodes}
        self.edges = [(source, node.id) for node in self.nodes for source in node.inputs]

    def __len__(self):
        return len(self.nodes)

    def __iter__(self):
        return iter(self.nodes)

    def __getitem__(self, node_id) -> Node:
        return self._by_id[node_id]

    @property
    def ops(self) -> list:
        """The operation nodes, in the order they ran."""
        return [node for node in self.nodes if node.kind == "op"]

    def node_of(self, tensor) -> Node:
        """The node showing ``tensor`` (found by identity)."""
        for node in self.nodes:
            if node.tensor is tensor:
                return node
        raise KeyError(f"graph: this tensor is not part of the graph (shape {tuple(tensor.shape)}).")

    # ----- text ------------------------------------------------------------------------
    def _counts(self) -> str:
        counts = {kind: sum(node.kind == kind for node in self.nodes) for kind in KINDS}
        leaves = counts["parameter"] + counts["input"]
        parts = [f"{counts['op']} operation{'s' * (counts['op'] != 1)}", f"{leaves} lea{'ves' if leaves != 1 else 'f'}"]
        if counts["constant"]:
            parts.append(f"{counts['constant']} constant{'s' * (counts['constant'] != 1)}")
        return ", ".join(parts)

    def to_text(self) -> str:
        """The graph as an indented tree from the result (top) back to its inputs.

        A node reached a second time (a tensor used twice) is shown once in full; later
        mentions say ``(shown above)``.
        """
        rows = []  # (tree prefix + label, node or None)
        shown = set()
        stack = [(self.root, "", "")]
        while stack:  # depth first, explicit stack: deep chains are fine
            node, first, rest = stack.pop()
            if node.id in shown:
                rows.append((f"{first}{node.label} (shown above)", None))
                continue
            shown.add(node.id)
            rows.append((first + node.label, node))
            children = [self._by_id[i] for i in node.inputs]
            for position in reversed(range(len(children))):
                last = position == len(children) - 1
                stack.append((children[position], rest + ("└── " if last else "├── "),
                              rest + ("    " if last else "│   ")))
        width = max(len(text) for text, _ in rows)
        shapes = max((len(f"{_shape_text(n.shape)} {n.dtype}") for _, n in rows if n is not None), default=0)
        values = max((len(n.value) for _, n in rows if n is not None), default=0)
        lines = [self.title] if self.title else []
        lines.append(f"computation graph of {self.root.name or 'the result'}: {self._counts()} "
                     "(read top-down: result back to inputs)")
        for text, node in rows:
            if node is None:
                lines.append(text)
                continue
            meta = f"{_shape_text(node.shape)} {node.dtype}"
            lines.append(f"{text:<{width}}  {meta:<{shapes}}  value {node.value:<{values}}  {node.grad}".rstrip())
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self):
        return self.to_text()

    # ----- DOT -------------------------------------------------------------------------
    def to_dot(self, rankdir="LR") -> str:
        """The graph in Graphviz's DOT language: one node statement per node, one edge per input.

        Values flow along the edges left to right (``rankdir='LR'``), as in the seeds'
        drawings; each label shows the value and, after ``backward()``, the gradient.
        """
        lines = [
            "digraph glassnet {",
            f'  graph [rankdir={rankdir}, fontname="Helvetica", fontsize=11, '
            f'label={dot_quote(self.title or "")}, labelloc=t];',
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
        ]
        for node in self.nodes:
            lines.append(f"  {node_statement(node, root=node is self.root)}")
        for source, target in self.edges:
            lines.append(f"  {source} -> {target};")
        lines.append("}")
        return "\n".join(lines) + "\n"


def node_lines(node) -> list:
    """The lines of a node's DOT label: what it is, shape and dtype, value, gradient."""
    if node.kind == "constant":
        if node.array.size == 1:
            return [node.label]
        return [f"constant {_shape_text(node.shape)} {node.dtype}", node.value]
    lines = [node.label, f"{_shape_text(node.shape)} {node.dtype}", f"value {node.value}"]
    if node.kind != "input":
        lines.append(node.grad)
    return lines


def node_statement(node, root=False, extra="") -> str:
    """One DOT node statement for ``node`` (used by the model view too)."""
    style = _STYLE[node.kind] + (", penwidth=2" if root else "") + (f", {extra}" if extra else "")
    return f"{node.id} [label={dot_quote(chr(10).join(node_lines(node)))}, {style}];"


def dot_quote(text) -> str:
    """``text`` as a DOT double-quoted string (newlines become line breaks)."""
    escaped = str(text).replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r", "").replace("\n", "\\n") + '"'


def graph(t, title=None) -> Graph:
    """Walk the computation graph that produced ``t`` and return it as a :class:`Graph`.

    Args:
        t: a Tensor; the graph holds every operation it depends on, the leaf tensors
            those read, and the constants passed to them.
        title: an optional caption for the text form and the picture.

    Returns:
        A :class:`Graph`: ``print`` it, call ``.to_dot()`` or ``.render(path)``.

    Example:
        >>> import glassnet as gn
        >>> x = gn.tensor([1.0, 2.0], requires_grad=True)
        >>> g = graph(gn.sum(x * x))
        >>> [node.op for node in g.ops], len(g.edges)
        (['Multiply', 'Sum'], 3)
    """
    if not isinstance(t, Tensor):
        raise TypeError(f"graph() takes a glassnet Tensor. Received: {type(t).__name__}")
    nodes, ids = [], {}

    def add(kind, tensor=None, **fields):
        node = Node(f"n{len(nodes)}", kind, tensor=tensor, **fields)
        nodes.append(node)
        if tensor is not None:
            ids[id(tensor)] = node.id
        return node.id

    def add_leaf(leaf):
        if id(leaf) not in ids:
            add("parameter" if leaf.requires_grad else "input", tensor=leaf, name=leaf.name)
        return ids[id(leaf)]

    order = topological_order(t)
    if not order:
        add_leaf(t)
    for result in order:
        fn = result.node
        inputs = []
        for x in fn.inputs:
            if isinstance(x, Tensor):
                inputs.append(ids[id(x)] if x.node is not None else add_leaf(x))
            elif x is not None:  # a number or array: one constant node per use
                inputs.append(add("constant", constant=x))
        add("op", tensor=result, op=fn.name, name=result.name, inputs=inputs, attrs=fn.attrs)
    return Graph(nodes, nodes[-1], title=title)


# ----- Graphviz ----------------------------------------------------------------------
class GraphvizNotFoundError(RuntimeError):
    """Raised when a picture is asked for but Graphviz's ``dot`` program is not installed."""


def missing_graphviz_message() -> str:
    """What to install to draw graphs.

    Example:
        >>> "apt-get install graphviz" in missing_graphviz_message()
        True
    """
    return ("Drawing a graph needs Graphviz's `dot` program, which was not found on PATH. "
            "Install the system package: `apt-get install graphviz` (Debian/Ubuntu), "
            "`brew install graphviz` (macOS), `conda install graphviz`, or see "
            "https://graphviz.org/download/. `pip install graphviz` adds the optional Python "
            "bindings, but they need the system package too. Without it, print(graph) "
            "still shows the text form and .to_dot() returns the DOT text.")


def graphviz_available() -> bool:
    """True when Graphviz's ``dot`` program is on PATH."""
    return shutil.which("dot") is not None


def pipe_dot(dot_text, fmt) -> bytes:
    """Run Graphviz on ``dot_text`` and return the picture in format ``fmt``.

    Uses the ``graphviz`` Python package when it is installed, else the ``dot``
    program directly; both need the program.
    """
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizNotFoundError(missing_graphviz_message())
    try:
        import graphviz
    except ImportError:
        graphviz = None
    if graphviz is not None:
        return graphviz.Source(dot_text).pipe(format=fmt)
    done = subprocess.run([dot, f"-T{fmt}"], input=dot_text.encode("utf-8"), capture_output=True,
                          timeout=120, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"Graphviz's dot failed (exit status {done.returncode}): "
                           f"{done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def render_dot(dot_text, path, format=None) -> str:
    """Write ``dot_text`` drawn by Graphviz to ``path`` (format from the suffix) and return the path."""
    path = os.fspath(path)
    suffix = os.path.splitext(path)[1].lstrip(".").lower()
    fmt = (format or suffix).lower()
    if fmt in ("dot", "gv"):
        with open(path, "w", encoding="utf-8") as file:
            file.write(dot_text)
        return path
    if fmt not in RENDER_FORMATS:
        raise ValueError(
            f"render: cannot tell the picture format from {path!r}; expected a path ending in "
            f"{', '.join('.' + f for f in RENDER_FORMATS)}, .dot or .gv, or format= one of "
            f"{RENDER_FORMATS}. Received: format={format!r}"
        )
    picture = pipe_dot(dot_text, fmt)
    with open(path, "wb") as file:
        file.write(picture)
    return path
