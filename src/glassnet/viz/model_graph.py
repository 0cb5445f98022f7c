"""One training step of a model, drawn layer by layer, the loss at the right.

``model_graph(model, x, y)`` runs what ``train_step`` runs except the update: the
forward pass with ``training=True``, the compiled loss (plus regularization) and
``backward()``. It then groups the op-level :class:`~glassnet.viz.graph.Graph` by
layer: each layer is one box (``expand=True`` opens it into a cluster of its ops), each
parameter's gradient norm is written on its edge, and the gradient flowing back
between layers on theirs. Weights are not updated; their ``.grad`` hold this step's
gradients afterwards, as after ``train_step``.

How an op finds its layer: every recorded op takes the next creation number
(``Function.order``), and a Sequential model calls its layers one after another. So
calling the layers one at a time and noting each output's number splits the graph
exactly: the ops numbered after layer i-1's output and up to layer i's ran inside
layer i, and the ops numbered after the model's output belong to the loss. No hook
into the layers is needed. For another model (a subclass with its own ``call``) the
boundaries are not visible from outside, so an op joins the layer whose weight it
reads, an op that reads no weight joins the layer of its inputs when they all come
from one layer (an activation after a dense op), and anything else stays ungrouped.

Example:
    >>> import numpy as np
    >>> import glassnet as tf
    >>> from glassnet.keras import Sequential
    >>> from glassnet.keras.layers import Dense
    >>> tf.random.set_seed(0)
    >>> model = Sequential([tf.keras.Input(shape=(2,)), Dense(3, activation="relu", name="hidden"),
    ...                     Dense(1, name="out")], name="tiny")
    >>> model.compile(loss="mse", optimizer="sgd")
    >>> picture = model_graph(model, np.ones((4, 2)), np.zeros(4))
    >>> [(block.name, [node.op for node in block.ops]) for block in picture.blocks]
    [('hidden', ['Dense']), ('out', ['Dense']), ('loss', ['MeanSquaredErrorPerExample', 'Mean'])]
    >>> "hidden/kernel:0" in picture.to_text() and picture.to_dot().startswith("digraph")
    True
"""

from __future__ import annotations

import numpy as np

from .graph import _Drawable, _shape_text, dot_quote, graph, node_statement

__all__ = ["Block", "ModelGraph", "model_graph"]

_LAYER_STYLE = 'shape=box, style="rounded,filled", fillcolor="#fff2cc"'
_LOSS_STYLE = 'shape=box, style="rounded,filled", fillcolor="#f8cecc", penwidth=2'
_INPUT_STYLE = 'shape=ellipse, style=filled, fillcolor="#eeeeee"'
_PARAMETER_STYLE = 'shape=ellipse, style=filled, fillcolor="#d5e8d4"'


def grad_norm(tensor):
    """The Euclidean norm of ``tensor.grad`` as a float, or None when it has none."""
    if tensor is None or tensor.grad is None:
        return None
    return float(np.linalg.norm(np.asarray(tensor.grad.numpy(), dtype=np.float64)))


def _norm_text(tensor) -> str:
    norm = grad_norm(tensor)
    return "" if norm is None else f"|grad| {norm:.3g}"


class Block:
    """One box of a model graph: a layer, or the loss.

    Attributes:
        id: the box's DOT id.
        name: the layer's name, or 'loss'.
        class_name: the layer's or the loss's class ('Dense', 'MeanSquaredError').
        nodes: the graph nodes inside (ops, the layer's parameters, constants).
        output: the tensor the layer returned (None for the loss and unused layers).
    """

    def __init__(self, id, name, class_name, output=None):
        self.id = id
        self.name = name
        self.class_name = class_name
        self.output = output
        self.nodes: list = []

    @property
    def ops(self) -> list:
        return [node for node in self.nodes if node.kind == "op"]

    @property
    def parameters(self) -> list:
        return [node for node in self.nodes if node.kind == "parameter"]

    def grad_norms(self) -> dict:
        """Parameter name -> norm of its gradient (None before backward)."""
        return {node.label: grad_norm(node.tensor) for node in self.parameters}

    def __repr__(self):
        return f"<Block {self.name!r} ({self.class_name}): {len(self.ops)} ops, {len(self.parameters)} parameters>"


class ModelGraph(_Drawable):
    """One training step of a model, grouped by layer (see :func:`model_graph`).

    Attributes:
        graph: the op-level :class:`~glassnet.viz.graph.Graph` of the loss.
        blocks: one :class:`Block` per layer that took part, then the loss.
        loss: the loss value, a float.
        expand: whether pictures open each layer into its ops.
    """

    def __init__(self, name, graph, blocks, loss, expand=False, samples=None):
        self.name = name
        self.graph = graph
        self.blocks = list(blocks)
        self.loss = float(loss)
        self.expand = bool(expand)
        self.samples = samples
        self._block_of = {node.id: block for block in self.blocks for node in block.nodes}

    def block_of(self, node) -> Block | None:
        """The block holding ``node`` (or its id), None when it is not in one."""
        return self._block_of.get(getattr(node, "id", node))

    @property
    def title(self) -> str:
        on = f" on {self.samples} sample{'s' * (self.samples != 1)}" if self.samples is not None else ""
        return (f'model "{self.name}": one training step{on}; '
                "values flow left to right, gradients right to left")

    # ----- text ------------------------------------------------------------------------
    def to_text(self) -> str:
        """Each layer with its output shape and ops, its parameters with their gradient norms."""
        lines = [self.title]
        for node in self.graph.nodes:
            if node.kind == "input" and self.block_of(node) is None:
                lines.append(f"  {node.name or 'x'}  {_shape_text(node.shape)} {node.dtype}")
        for block in self.blocks:
            ops = ", ".join(op.label for op in block.ops) or "none"
            if block.name == "loss":
                lines.append(f"  loss ({block.class_name}) = {self.loss:.6g}   ops: {ops}")
                continue
            out = f" -> {_shape_text(block.output.shape)}" if block.output is not None else ""
            lines.append(f"  {block.name} ({block.class_name}){out}   ops: {ops}")
            width = max((len(p.label) for p in block.parameters), default=0)
            for p in block.parameters:
                norm = _norm_text(p.tensor) or "no grad"
                lines.append(f"      {p.label:<{width}}  {_shape_text(p.shape):<10} {norm}")
        if self.expand:
            lines += ["", self.graph.to_text()]
        return "\n".join(lines)

    __str__ = to_text

    def __repr__(self):
        return self.to_text()

    # ----- DOT -------------------------------------------------------------------------
    def to_dot(self) -> str:
        """The picture in DOT: a box per layer (a cluster of ops with ``expand``), the loss at the right."""
        lines = [
            "digraph model {",
            f'  graph [rankdir=LR, fontname="Helvetica", fontsize=11, label={dot_quote(self.title)}, '
            "labelloc=t, compound=true];",
            '  node [fontname="Helvetica", fontsize=10];',
            '  edge [fontname="Helvetica", fontsize=9, color="#555555"];',
        ]
        lines += self._expanded_dot() if self.expand else self._block_dot()
        lines.append("}")
        return "\n".join(lines) + "\n"

    def _block_label(self, block) -> str:
        if block.name == "loss":
            return f"loss\n{block.class_name}\nvalue {self.loss:.4g}"
        out = f"\nout {_shape_text(block.output.shape)}" if block.output is not None else ""
        ops = ", ".join(op.label for op in block.ops[:4]) + (" ..." if len(block.ops) > 4 else "")
        return f"{block.name}\n{block.class_name}{out}" + (f"\nops: {ops}" if ops else "")

    def _block_dot(self) -> list:
        g, lines, edges = self.graph, [], []
        seen_edges = set()
        shown = set()

        def endpoint(node):
            block = self.block_of(node)
            if block is not None and node.kind != "parameter":
                return block.id
            if node.id not in shown:  # parameters, data inputs, ungrouped ops: their own nodes
                shown.add(node.id)
                if node.kind == "parameter":
                    short = node.label.split("/")[-1].split(":")[0]
                    label = f"{short}\n{_shape_text(node.shape)} {node.dtype}"
                    lines.append(f"  {node.id} [label={dot_quote(label)}, {_PARAMETER_STYLE}];")
                elif node.kind == "input":
                    label = f"{node.name or 'x'}\n{_shape_text(node.shape)} {node.dtype}"
                    lines.append(f"  {node.id} [label={dot_quote(label)}, {_INPUT_STYLE}];")
                else:
                    lines.append(f"  {node_statement(node)}")
            return node.id

        for block in self.blocks:
            style = _LOSS_STYLE if block.name == "loss" else _LAYER_STYLE
            lines.append(f"  {block.id} [label={dot_quote(self._block_label(block))}, {style}];")
        labelled = set()
        for source_id, target_id in g.edges:
            source, target = g[source_id], g[target_id]
            if source.kind == "constant":
                continue  # numbers inside a layer's arithmetic: shown when expanded
            start, end = endpoint(source), endpoint(target)
            if start == end or (start, end) in seen_edges:
                continue
            seen_edges.add((start, end))
            if source.kind == "parameter":
                text = "" if source.id in labelled else _norm_text(source.tensor)
                labelled.add(source.id)
            elif source.kind == "op":
                text = _shape_text(source.shape)  # the activation passed on, and its gradient coming back
                if source.tensor.grad is not None:
                    text += "\n" + _norm_text(source.tensor)
            else:
                text = ""
            label = f" [label={dot_quote(text)}]" if text else ""
            edges.append(f"  {start} -> {end}{label};")
        loss = next((block for block in self.blocks if block.name == "loss"), None)
        targets = [node for node in g.nodes if node.kind == "constant" and self.block_of(node) is loss]
        if loss is not None and targets:
            y = max(targets, key=lambda node: node.array.size)  # the targets: the loss's largest constant
            label = f"y (targets)\n{_shape_text(y.shape)} {y.dtype}"
            lines.append(f"  targets [label={dot_quote(label)}, {_INPUT_STYLE}];")
            edges.append(f"  targets -> {loss.id};")
        return lines + edges

    def _expanded_dot(self) -> list:
        g, lines = self.graph, []
        for index, block in enumerate(self.blocks):
            caption = "loss: " + block.class_name if block.name == "loss" else f"{block.name} ({block.class_name})"
            color = "#b85450" if block.name == "loss" else "#d6b656"
            lines.append(f"  subgraph cluster_{index} {{")
            lines.append(f'    graph [label={dot_quote(caption)}, style=rounded, color="{color}"];')
            for node in block.nodes:
                lines.append(f"    {node_statement(node, root=node is g.root)}")
            lines.append("  }")
        for node in g.nodes:
            if self.block_of(node) is None:
                lines.append(f"  {node_statement(node, root=node is g.root)}")
        for source_id, target_id in g.edges:
            source = g[source_id]
            text = _norm_text(source.tensor) if source.kind == "parameter" else ""
            label = f" [label={dot_quote(text)}]" if text else ""
            lines.append(f"  {source_id} -> {target_id}{label};")
        return lines


# ----- building it -------------------------------------------------------------------
def _loss_name(loss) -> str:
    name = type(loss).__name__
    if name in ("LossFunctionWrapper", "function"):
        name = getattr(loss, "name", None) or getattr(loss, "__name__", name)
    return name


def _layer_outputs(model, layers, x):
    """Call a Sequential model's layers one at a time; their outputs, or None for other models."""
    from ..models import Sequential

    if not isinstance(model, Sequential):
        return None
    outputs, h = [], x
    for layer in layers:
        h = layer(h, training=True)
        outputs.append(h)
    return outputs


def _assign(g, layers, outputs, y_pred) -> dict:
    """Node id -> block index (layers 0..k-1, the loss k) for every node that has one."""
    loss_index = len(layers)
    owner = {id(w): i for i, layer in enumerate(layers) for w in layer.weights}
    group = {}
    for node in g.nodes:
        if node.kind == "parameter" and id(node.tensor) in owner:
            group[node.id] = owner[id(node.tensor)]
    last_layer_op = y_pred.node.order if y_pred.node is not None else -1
    if outputs is not None:
        bounds, upper, leaf_outputs = [], -1, {}
        for i, out in enumerate(outputs):
            if out.node is not None:
                upper = out.node.order
            else:  # a layer that recorded nothing (e.g. Flatten of the data): its output is a leaf
                leaf_outputs[id(out)] = i
            bounds.append(upper)
        for node in g.nodes:
            if node.kind == "op":
                order = node.tensor.node.order
                group[node.id] = next((i for i, bound in enumerate(bounds) if order <= bound), loss_index)
            elif node.kind == "input" and id(node.tensor) in leaf_outputs:
                group[node.id] = leaf_outputs[id(node.tensor)]
    else:
        for node in g.ops:
            if node.tensor.node.order > last_layer_op:
                group[node.id] = loss_index
                continue
            read = {group[i] for i in node.inputs if g[i].kind == "parameter" and i in group}
            if not read:  # no weight: the layer of its op inputs, if they agree
                read = {group.get(i) for i in node.inputs if g[i].kind == "op"}
            if len(read) == 1 and None not in read:
                group[node.id] = read.pop()
    for source, target in g.edges:  # a constant goes with the op it was passed to
        if g[source].kind == "constant" and target in group:
            group[source] = group[target]
    return group


def model_graph(model, x, y, *, expand=False, sample_weight=None) -> ModelGraph:
    """Run one training step of ``model`` on ``(x, y)`` (no update) and group its graph by layer.

    Args:
        model: a compiled model (its loss is used).
        x: inputs, shape (n, ...): a few samples keep the numbers readable.
        y: targets, shape (n,) or (n, k).
        expand: draw each layer as a cluster of its ops instead of one box.
        sample_weight: optional per-sample loss weights, shape (n,).

    Returns:
        A :class:`ModelGraph`: ``print`` it, ``.to_dot()``, ``.render("step.svg")``.

    Raises:
        RuntimeError: when the model is not compiled.
    """
    from ..training.data import prepare_arrays

    if getattr(model, "loss", None) is None:
        raise RuntimeError("model.graph() draws one training step and needs the loss: call "
                           "model.compile(loss=..., optimizer=...) first.")
    x, y = prepare_arrays(x, y, dtype=getattr(model, "input_dtype", None))
    if hasattr(model, "build_for_data"):
        model.build_for_data(x)
    layers = list(model.layers)
    for weight in model.trainable_weights:
        weight.grad = None
    outputs = _layer_outputs(model, layers, x)
    y_pred = outputs[-1] if outputs else model(x, training=True)
    for out in outputs or ():
        out.retain_grad()  # the gradient flowing back into each layer, shown on its edge
    loss = model.loss(y, y_pred, sample_weight=sample_weight)
    penalties = model.losses
    if penalties:
        loss = loss + sum(penalties[1:], penalties[0])
    loss.name = "loss"
    if loss.requires_grad:
        loss.retain_grad().backward()
    g = graph(loss)
    group = _assign(g, layers, outputs, y_pred)
    blocks = [Block(f"layer{i}", layer.name, type(layer).__name__, outputs[i] if outputs else None)
              for i, layer in enumerate(layers)]
    blocks.append(Block("loss", "loss", _loss_name(model.loss)))
    for node in g.nodes:
        if node.id in group:
            blocks[group[node.id]].nodes.append(node)
    used = [block for block in blocks if block.nodes or block.name == "loss"]
    return ModelGraph(getattr(model, "name", None) or type(model).__name__, g, used, float(loss.data),
                      expand=expand, samples=len(x))

