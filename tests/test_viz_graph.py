"""The graph viewer: structure of known expressions, text and DOT forms, gradient
retention, the layer-grouped model view, and rendering through Graphviz (skipped
cleanly when the ``dot`` program is absent, as on CI).
"""

import pathlib
import re
import runpy
import shutil
import sys
import types

import numpy as np
import pytest

import glassnet as gn
from glassnet.keras import Sequential
from glassnet.keras.layers import Dense
from glassnet.models import Model
from glassnet.viz import Graph, GraphvizNotFoundError, graph, model_graph
from glassnet.viz.graph import summarize

HAVE_DOT = shutil.which("dot") is not None
EXAMPLES = pathlib.Path(__file__).resolve().parent.parent / "examples"
needs_dot = pytest.mark.skipif(not HAVE_DOT, reason="Graphviz's dot program is not installed")


def leaf(value, name=None):
    t = gn.tensor(value, dtype="float64", requires_grad=True)
    t.name = name
    return t


def seeds_example():
    """J = 1/2 (w x + b - y)^2 at w = 2, b = 8, x = -2, y = 2, every node named and retained."""
    w, b = leaf(2.0, "w"), leaf(8.0, "b")
    c = (w * -2.0).retain_grad()
    a = (c + b).retain_grad()
    d = (a - 2.0).retain_grad()
    J = (0.5 * d ** 2).retain_grad()
    for t, name in ((c, "c"), (a, "a"), (d, "d"), (J, "J")):
        t.name = name
    return w, b, c, a, d, J


# ----- structure of known expressions: one row each ---------------------------------
def _x():
    return leaf([1.0, 2.0], "x")


STRUCTURE = [
    # name, builds the result, its ops in order, leaves, constants, edges
    ("seeds' J", lambda: seeds_example()[-1], ["Multiply", "Add", "Subtract", "Power", "Multiply"], 2, 4, 10),
    ("two leaves", lambda: gn.sum(_x() * _x()), ["Multiply", "Sum"], 2, 0, 3),
    ("same x twice", lambda: (lambda x: gn.sum(x * x))(_x()), ["Multiply", "Sum"], 1, 0, 3),
    ("diamond", lambda: (lambda a: (a + 1.0) * (a - 1.0))(_x()), ["Add", "Subtract", "Multiply"], 1, 2, 6),
    ("matmul chain", lambda: gn.mean(gn.matmul(leaf(np.ones((2, 3))), leaf(np.ones((3, 1))))),
     ["MatMul", "Mean"], 2, 0, 3),
    ("data input", lambda: gn.tensor([1.0, 2.0]) * leaf([3.0, 4.0]), ["Multiply"], 2, 0, 2),
]


@pytest.mark.parametrize("name, build, ops, leaves, constants, edges", STRUCTURE, ids=[r[0] for r in STRUCTURE])
def test_graph_structure_of_known_expressions(name, build, ops, leaves, constants, edges):
    g = graph(build())
    assert [node.op for node in g.ops] == ops
    assert sum(node.kind in ("parameter", "input") for node in g) == leaves
    assert sum(node.kind == "constant" for node in g) == constants
    assert len(g.edges) == edges
    assert g.root is g.nodes[-1]
    position = {node.id: i for i, node in enumerate(g.nodes)}
    assert all(position[source] < position[target] for source, target in g.edges)  # left to right


def test_seeds_graph_nodes_know_their_inputs_and_values():
    w, b, c, a, d, J = seeds_example()
    g = graph(J)
    assert [node.label for node in g.nodes] == [
        "w", "-2", "c = Multiply", "b", "a = Add", "2", "d = Subtract", "2", "Power", "0.5", "J = Multiply"]
    assert [g[i].label for i in g.node_of(a).inputs] == ["c = Multiply", "b"]
    assert [node.value for node in g.ops] == ["-4", "4", "2", "4", "2"]
    assert g.node_of(w).kind == "parameter" and g.node_of(J) is g.root
    assert (g.node_of(c).shape, g.node_of(c).dtype) == ((), "float64")


def test_a_leaf_alone_is_a_one_node_graph_and_other_objects_are_refused():
    g = graph(leaf(3.0, "w"))
    assert len(g) == 1 and g.edges == [] and g.root.kind == "parameter"
    with pytest.raises(TypeError, match="graph\\(\\) takes a glassnet Tensor. Received: float"):
        graph(3.0)


def test_a_graph_shows_data_leaves_and_constants_distinctly():
    x = gn.tensor([[1.0, 2.0]])
    x.name = "x"
    g = graph(gn.sum(x * leaf([[3.0, 4.0]], "w") + np.array([[1.0, 1.0]])))
    kinds = {node.label: node.kind for node in g}
    assert kinds["x"] == "input" and kinds["w"] == "parameter" and kinds["constant"] == "constant"


def test_summaries_give_one_value_or_min_mean_max():
    assert summarize(np.array(-4.0)) == "-4"
    assert summarize(np.array([[1.0, 2.0], [3.0, 6.0]])) == "min 1  mean 3  max 6"
    assert summarize(np.array([True, False])) == "min 0  mean 0.5  max 1"
    assert summarize(np.zeros((0, 3))) == "empty"


# ----- gradients -----------------------------------------------------------------------
def test_gradients_appear_after_backward_and_only_where_retained():
    w = leaf(2.0, "w")
    hidden = w * 3.0
    kept = (hidden + 1.0).retain_grad()
    J = kept * kept
    g = graph(J)  # taken before backward: summaries read the tensors when shown
    assert g.node_of(w).grad == "no grad (backward() not run)"
    assert g.node_of(kept).grad == "no grad (not retained)"
    J.backward()
    assert g.node_of(w).grad == "grad 42"  # dJ/dw = 2 (3w + 1) * 3
    assert g.node_of(kept).grad == "grad 14"
    assert g.node_of(hidden).grad == "no grad (not retained)"
    assert g.root.grad == "no grad (not retained)"
    constant = next(node for node in g if node.kind == "constant")
    assert constant.grad == "(constant)"


def test_the_seeds_derivatives_right_to_left():
    w, b, c, a, d, J = seeds_example()
    J.backward()
    g = graph(J)
    assert [g.node_of(t).grad for t in (J, d, a, c, b, w)] == [
        "grad 1", "grad 2", "grad 2", "grad 2", "grad 2", "grad -4"]


# ----- the text form ---------------------------------------------------------------------
def test_text_form_is_an_indented_tree_from_the_result_back():
    w, b, c, a, d, J = seeds_example()
    J.backward()
    lines = str(graph(J)).splitlines()
    assert lines[0].startswith("computation graph of J: 5 operations, 2 leaves, 4 constants")
    assert lines[1].startswith("J = Multiply") and "value 2" in lines[1] and lines[1].endswith("grad 1")
    assert lines[2].startswith("├── 0.5")
    assert lines[3].startswith("└── Power")
    assert any(line.startswith("    │   │   │   ├── w ") and line.endswith("grad -4") for line in lines)
    assert repr(graph(J)) == str(graph(J))


def test_text_form_shows_a_shared_node_once():
    x = _x()
    lines = str(graph(gn.sum(x * x))).splitlines()
    assert [line.lstrip("│├└─ ")[:2] for line in lines[1:]] == ["Su", "Mu", "x ", "x "]
    assert lines[-1] == "    └── x (shown above)"


def test_a_deep_chain_needs_no_recursion():
    x = leaf(1.0, "x")
    y = x
    for _ in range(1000):
        y = y * 1.0
    g = graph(y)
    assert len(g.ops) == 1000
    assert len(str(g).splitlines()) == 1 + 1000 * 2 + 1


# ----- DOT ---------------------------------------------------------------------------------
_NODE = re.compile(r'^\s*(\w+) \[label="(?:[^"\\]|\\.)*"(?:, [^\]]*)?\];$')
_EDGE = re.compile(r"^\s*(\w+) -> (\w+)(?: \[[^\]]*\])?;$")


def parse_dot(text):
    """A small DOT reader for our output: balanced braces, node statements, edges between defined nodes."""
    depth = 0
    for char in re.sub(r'"(?:[^"\\]|\\.)*"', '""', text):  # braces inside labels do not count
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a closing brace before its opening one"
    assert depth == 0, "unbalanced braces"
    nodes, edges = [], []
    for line in text.splitlines():
        if _EDGE.match(line):
            edges.append(_EDGE.match(line).groups())
        elif _NODE.match(line) and _NODE.match(line).group(1) not in ("graph", "node", "edge"):
            nodes.append(_NODE.match(line).group(1))
    assert len(nodes) == len(set(nodes)), "a node defined twice"
    assert all(s in nodes and t in nodes for s, t in edges), "an edge to an undefined node"
    return nodes, edges


def test_dot_has_one_node_statement_per_node_and_one_edge_per_input():
    w, b, c, a, d, J = seeds_example()
    J.backward()
    g = graph(J)
    text = g.to_dot()
    assert text.startswith("digraph glassnet {") and "rankdir=LR" in text
    nodes, edges = parse_dot(text)
    assert nodes == [node.id for node in g.nodes]
    assert sum(1 for node in g.ops) == 5 and len(nodes) == len(g)
    assert edges == g.edges
    assert 'label="c = Multiply\\n() float64\\nvalue -4\\ngrad 2"' in text


def test_dot_escapes_quotes_and_backslashes_in_names():
    x = leaf(1.0, 'a "quoted" \\ name {x}')
    nodes, _ = parse_dot(graph(x * 2.0).to_dot())
    assert len(nodes) == 3
    assert 'a \\"quoted\\" \\\\ name {x}' in graph(x * 2.0).to_dot()


# ----- rendering -------------------------------------------------------------------------
@needs_dot
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF")])
def test_render_draws_through_graphviz(tmp_path, suffix, magic):
    w, b, c, a, d, J = seeds_example()
    J.backward()
    path = graph(J).render(tmp_path / f"graph{suffix}")
    data = open(path, "rb").read()
    assert magic in data[:2000]


@needs_dot
def test_dot_output_is_accepted_by_graphviz_and_shown_in_notebooks(monkeypatch):
    import subprocess

    monkeypatch.setitem(sys.modules, "graphviz", None)  # the dot program directly, not the bindings
    w, b, c, a, d, J = seeds_example()
    done = subprocess.run(["dot", "-Tsvg"], input=graph(J).to_dot().encode(), capture_output=True, check=False)
    assert done.returncode == 0, done.stderr
    svg = graph(J)._repr_svg_()
    assert "<svg" in svg and "c = Multiply" in svg


def test_the_graphviz_bindings_are_used_when_installed(monkeypatch, tmp_path):
    calls = []

    class Source:
        def __init__(self, text):
            calls.append(text)

        def pipe(self, format):
            return b"<svg from the bindings/>"

    monkeypatch.setitem(sys.modules, "graphviz", types.SimpleNamespace(Source=Source))
    monkeypatch.setattr(shutil, "which", lambda name: "/usr/bin/dot")
    path = graph(leaf(1.0, "w") * 2.0).render(tmp_path / "g.svg")
    assert open(path, "rb").read() == b"<svg from the bindings/>"
    assert calls and calls[0].startswith("digraph")


def test_without_graphviz_render_says_what_to_install(monkeypatch, tmp_path):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    g = graph(leaf(1.0, "w") * 2.0)
    with pytest.raises(GraphvizNotFoundError) as error:
        g.render(tmp_path / "g.svg")
    assert "apt-get install graphviz" in str(error.value) and "pip install graphviz" in str(error.value)
    assert g._repr_svg_() is None  # a notebook falls back to the text form
    assert open(g.render(tmp_path / "g.dot")).read() == g.to_dot()  # DOT text needs no Graphviz


def test_render_refuses_an_unknown_format(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg, \.png, \.pdf, \.dot or \.gv"):
        graph(leaf(1.0) * 2.0).render(tmp_path / "graph.jpeg2000")


# ----- the model view ----------------------------------------------------------------------
def small_model(**compile_args):
    gn.random.set_seed(0)
    model = Sequential([gn.keras.Input(shape=(3,)), Dense(4, activation="relu", name="hidden"),
                        Dense(2, name="logits")], name="small")
    model.compile(**{"loss": gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                     "optimizer": "sgd", **compile_args})
    return model


def batch():
    rng = np.random.default_rng(0)
    return rng.normal(size=(5, 3)), np.array([0, 1, 1, 0, 1])


def test_model_graph_groups_ops_by_layer_with_the_loss_last():
    model = small_model()
    picture = model_graph(model, *batch())
    assert [(block.name, block.class_name) for block in picture.blocks] == [
        ("hidden", "Dense"), ("logits", "Dense"), ("loss", "SparseCategoricalCrossentropy")]
    assert [[node.label for node in block.parameters] for block in picture.blocks] == [
        ["hidden/kernel:0", "hidden/bias:0"], ["logits/kernel:0", "logits/bias:0"], []]
    assert all(len(block.ops) >= 1 for block in picture.blocks)
    grouped = {node.id for block in picture.blocks for node in block.nodes}
    assert {node.id for node in picture.graph if node.kind != "input"} == grouped
    assert picture.loss == pytest.approx(float(model.loss(batch()[1], model(batch()[0]))), rel=1e-6)


def test_model_graph_writes_each_gradient_norm_on_its_edge():
    model = small_model()
    picture = model_graph(model, *batch())
    text = picture.to_dot()
    nodes, edges = parse_dot(text)
    assert [n for n in nodes if n.startswith("layer")] == ["layer0", "layer1"] and "loss" in nodes
    assert ("layer1", "loss") in edges and ("layer0", "layer1") in edges and ("targets", "loss") in edges
    for weight in model.trainable_weights:  # backward ran: each weight holds this step's gradient
        norm = np.linalg.norm(weight.grad.numpy())
        assert f'[label="|grad| {norm:.3g}"]' in text
        assert f"{weight.name}" in str(picture) and f"|grad| {norm:.3g}" in str(picture)
    assert all(w.grad is not None for w in model.trainable_weights)


def test_model_graph_expanded_draws_a_cluster_of_ops_per_layer():
    picture = model_graph(small_model(), *batch(), expand=True)
    text = picture.to_dot()
    nodes, edges = parse_dot(text)
    assert text.count("subgraph cluster_") == 3
    assert nodes and len(edges) == len(picture.graph.edges)
    assert 'label="hidden (Dense)"' in text and "loss: SparseCategoricalCrossentropy" in text
    assert "computation graph of loss" in str(picture)


def test_model_graph_needs_a_compiled_model():
    model = Sequential([Dense(1)])
    with pytest.raises(RuntimeError, match="compile"):
        model_graph(model, *batch())


class TwoLayers(Model):
    """A model with its own call: layer boundaries are not visible from outside."""

    def __init__(self):
        super().__init__(name="custom")
        self.first = Dense(3, activation="elu", name="first")  # elu is not fused: Dense then Elu
        self.second = Dense(1, name="second")

    @property
    def layers(self):
        return [self.first, self.second]

    def __call__(self, x, training=False):
        return self.second(self.first(x, training=training), training=training)


def test_model_graph_of_a_custom_model_groups_by_weights():
    model = TwoLayers()
    model.compile(loss="mse", optimizer="sgd")
    picture = model_graph(model, batch()[0], np.ones(5))
    assert [(block.name, [node.op for node in block.ops]) for block in picture.blocks][:2] == [
        ("first", ["Dense", "Elu"]), ("second", ["Dense"])]
    assert picture.blocks[-1].name == "loss" and picture.blocks[-1].ops


@needs_dot
def test_model_graph_renders(tmp_path):
    path = model_graph(small_model(), *batch()).render(tmp_path / "step.svg")
    assert b"<svg" in open(path, "rb").read()


@pytest.mark.skipif(not hasattr(Model, "graph"), reason="Model.graph is not wired up yet")
def test_model_graph_method_delegates():
    model = small_model()
    assert [block.name for block in model.graph(*batch()).blocks] == ["hidden", "logits", "loss"]
    assert model.graph(*batch(), expand=True).expand


# ----- the examples --------------------------------------------------------------------------
def run_example(name, argv, capsys):
    old = sys.argv
    sys.argv = [name] + argv
    try:
        with pytest.raises(SystemExit) as done:
            runpy.run_path(str(EXAMPLES / name), run_name="__main__")
        assert done.value.code == 0
    finally:
        sys.argv = old
    return capsys.readouterr().out


def test_backprop_by_hand_example(tmp_path, capsys):
    out = run_example("backprop_by_hand.py", ["--output", str(tmp_path / "graph.svg")], capsys)
    assert re.search(r"c\s+= w \* x\s+= -4\n", out) and re.search(r"J\s+= 0.5 \* d²\s+= 2\n", out)
    assert re.search(r"dJ/dw\s+= -4 ", out) and re.search(r"dJ/db\s+= 2 ", out)
    assert "finite differences" in out and "MISMATCH" not in out
    assert ("wrote" in out) == HAVE_DOT


def test_backprop_two_layer_example(tmp_path, capsys):
    out = run_example("backprop_two_layer.py", ["--output-dir", str(tmp_path)], capsys)
    assert re.search(r"a2\s+= relu\(z2\)\s+= 7\n", out) and re.search(r"dJ/dw1\s+= 6 ", out)
    assert "MISMATCH" not in out
    assert "all gradients match" in out


def test_graph_is_the_tool_exported_by_viz():
    assert isinstance(graph(leaf(1.0) * 2.0), Graph)
