"""The public face of `glassnet.Tensor` and `glassnet.Variable`: creation, dtypes,
operators, comparisons, indexing, NumPy interoperability and printing.

Gradients of individual ops are checked in ``test_grad_ops.py``; here a gradient
only appears to show that a value took part in the graph.
"""

import operator

import numpy as np
import pytest

import glassnet as gn
from glassnet import backend


@pytest.fixture
def floatx64():
    """Switch the default float type to float64 for one test, then restore it."""
    previous = backend.floatx()
    backend.set_floatx("float64")
    try:
        yield
    finally:
        backend.set_floatx(previous)


# ----- creation and properties ---------------------------------------------------
def test_tensor_wraps_an_array_with_array_properties():
    values = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    t = gn.tensor(values)
    assert isinstance(t, gn.Tensor)
    assert isinstance(t.numpy(), np.ndarray)
    np.testing.assert_array_equal(t.numpy(), np.array(values, dtype=np.float32))
    assert t.shape == (2, 3)
    assert t.ndim == 2
    assert t.size == 6
    assert t.dtype == np.float32
    assert t.grad is None
    assert t.requires_grad is False
    assert t.is_leaf and t.node is None
    np.testing.assert_array_equal(t.T.numpy(), np.array(values, dtype=np.float32).T)
    assert t.T.shape == (3, 2)


def test_tensor_function_and_class_agree():
    a = gn.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    b = gn.Tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    for t in (a, b):
        assert t.dtype == np.float64
        assert t.requires_grad
        np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])


@pytest.mark.parametrize(
    "data, expected",
    [
        (3.0, np.float32),  # Python float
        ([1.0, 2.0], np.float32),  # list of Python floats
        ([1, 2.5], np.float32),  # mixed ints and floats
        (np.array([1.0, 2.0]), np.float64),  # float64 arrays stay float64
        (np.array([1.0], dtype=np.float32), np.float32),
        (np.float64(2.0), np.float64),  # NumPy scalars keep their type
        (3, np.int64),
        ([1, 2, 3], np.int64),
        (True, np.bool_),
    ],
    ids=["float", "float-list", "mixed-list", "f64-array", "f32-array", "np-float64", "int", "int-list", "bool"],
)
def test_default_dtypes(data, expected):
    assert gn.tensor(data).dtype == expected


def test_explicit_dtype_wins():
    assert gn.tensor([1, 2], dtype="float32").dtype == np.float32
    assert gn.tensor(np.array([1.0, 2.0]), dtype=np.float32).dtype == np.float32
    assert gn.tensor(1.5, dtype="float64").dtype == np.float64


@pytest.mark.parametrize("make", [gn.tensor, gn.Variable, gn.Tensor], ids=["tensor", "Variable", "Tensor"])
def test_explicit_float64_keeps_full_precision_of_python_floats(make):
    # converted once, straight to float64, never through the float32 default
    assert make(0.1, dtype="float64").item() == 0.1
    np.testing.assert_array_equal(make([3.001], dtype="float64").numpy(), np.array([3.001]))


def test_set_floatx_changes_the_default_for_new_tensors(floatx64):
    assert backend.floatx() == "float64"
    assert gn.tensor(1.0).dtype == np.float64
    assert gn.tensor([1.0, 2.0]).dtype == np.float64
    assert gn.Variable(1.0).dtype == np.float64
    # arrays keep their own dtype whatever the default
    assert gn.tensor(np.ones(2, dtype=np.float32)).dtype == np.float32


def test_set_floatx_rejects_non_float_types():
    with pytest.raises(ValueError, match="int32"):
        backend.set_floatx("int32")
    assert backend.floatx() == "float32"


def test_only_float_tensors_can_require_grad():
    with pytest.raises(TypeError, match="int64"):
        gn.tensor([1, 2], requires_grad=True)


@pytest.mark.parametrize(
    "data, error",
    [([[1.0, 2.0], [3.0]], ValueError), ([object()], TypeError)],
    ids=["ragged", "objects"],
)
def test_bad_data_is_rejected_with_a_message(data, error):
    with pytest.raises(error, match="tensor"):
        gn.tensor(data)


def test_len_and_iteration_follow_the_first_axis():
    t = gn.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert len(t) == 3
    rows = list(t)
    assert all(isinstance(r, gn.Tensor) for r in rows)
    np.testing.assert_array_equal(rows[2].numpy(), [5.0, 6.0])
    with pytest.raises(TypeError):
        len(gn.tensor(1.0))


def test_tensors_hash_by_identity():
    a, b = gn.tensor([1.0]), gn.tensor([1.0])
    table = {a: "a", b: "b"}
    assert table[a] == "a" and table[b] == "b"


# ----- operators -----------------------------------------------------------------
BINARY = [
    ("add", operator.add),
    ("sub", operator.sub),
    ("mul", operator.mul),
    ("truediv", operator.truediv),
    ("pow", operator.pow),
]
X = np.array([[0.5, 1.0, 1.5], [2.0, 2.5, 3.0]])
# right-hand operands of different kinds; all positive so pow stays real
OPERANDS = [
    ("tensor", lambda: gn.tensor(np.array([1.5, 2.0, 0.5]))),
    ("py-float", lambda: 2.0),
    ("py-int", lambda: 3),
    ("ndarray", lambda: np.array([1.5, 2.0, 0.5])),
    ("ndarray-2d", lambda: np.full((2, 1), 2.0)),
    ("np-scalar-0d", lambda: np.array(2.0)),
]


def _raw(value):
    return value.numpy() if isinstance(value, gn.Tensor) else value


@pytest.mark.parametrize("name, op", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("kind, make", OPERANDS, ids=[o[0] for o in OPERANDS])
@pytest.mark.parametrize("tensor_first", [True, False], ids=["t-op-other", "other-op-t"])
def test_binary_operators_in_both_orders(name, op, kind, make, tensor_first):
    x = gn.tensor(X, requires_grad=True)
    other = make()
    out = op(x, other) if tensor_first else op(other, x)
    expected = op(X, _raw(other)) if tensor_first else op(_raw(other), X)
    assert isinstance(out, gn.Tensor), f"{kind} {name}: got {type(out).__name__}"
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-12)
    assert out.requires_grad and out.node is not None
    # the tensor takes part in the graph whichever side it is on
    gn.sum(out).backward()
    assert x.grad is not None and x.grad.shape == X.shape


@pytest.mark.parametrize("name, op", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("scalar", [2, 2.0, 0.5], ids=["int", "float", "half"])
@pytest.mark.parametrize("tensor_first", [True, False], ids=["t-op-s", "s-op-t"])
def test_python_scalars_never_upcast_float32(name, op, scalar, tensor_first):
    x = gn.tensor([1.0, 2.0, 4.0])
    out = op(x, scalar) if tensor_first else op(scalar, x)
    assert out.dtype == np.float32


def test_ndarray_on_the_left_returns_a_tensor_in_the_graph():
    t = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    out = np.ones(3) + t
    assert isinstance(out, gn.Tensor)
    assert out.requires_grad
    (np.array([1.0, 2.0, 3.0], dtype=np.float32) * out).sum().backward()
    np.testing.assert_allclose(t.grad.numpy(), [1.0, 2.0, 3.0])
    assert t.grad.dtype == np.float32  # gradients keep their input's dtype


def test_matmul_operator_in_both_orders():
    a = np.arange(6.0).reshape(2, 3)
    t = gn.tensor(np.arange(3.0).reshape(3, 1), requires_grad=True)
    out = a @ t
    assert isinstance(out, gn.Tensor) and out.requires_grad
    np.testing.assert_allclose(out.numpy(), a @ t.numpy())
    np.testing.assert_allclose((t.T @ a.T).numpy(), (a @ t.numpy()).T)


@pytest.mark.parametrize(
    "op, expected",
    [
        (operator.neg, -X),
        (operator.pos, X),
        (operator.abs, np.abs(X)),
        (lambda t: t.exp(), np.exp(X)),
        (lambda t: t.log(), np.log(X)),
        (lambda t: t.sqrt(), np.sqrt(X)),
        (lambda t: t.sum(), X.sum()),
        (lambda t: t.sum(axis=0), X.sum(axis=0)),
        (lambda t: t.mean(axis=1, keepdims=True), X.mean(axis=1, keepdims=True)),
        (lambda t: t.max(), X.max()),
        (lambda t: t.min(axis=1), X.min(axis=1)),
        (lambda t: t.reshape(3, 2), X.reshape(3, 2)),
        (lambda t: t.reshape((-1,)), X.reshape(-1)),
        (lambda t: t.transpose(), X.T),
        (lambda t: t.transpose(1, 0), X.T),
        (lambda t: t.T, X.T),
    ],
    ids=["neg", "pos", "abs", "exp", "log", "sqrt", "sum", "sum0", "mean1k", "max", "min1",
         "reshape", "reshape-tuple", "transpose", "transpose-axes", "T"],
)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_methods_match_numpy_and_preserve_dtype(op, expected, dtype):
    out = op(gn.tensor(X.astype(dtype)))
    assert out.dtype == dtype
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_operators_preserve_dtype(dtype):
    a = gn.tensor(X.astype(dtype))
    b = gn.tensor(X[:, :1].astype(dtype))
    for name, op in BINARY + [("matmul", lambda u, v: u.T @ v)]:
        assert op(a, b).dtype == dtype, name


def test_numpy_methods_on_tensors_pass_through_np_functions():
    t = gn.tensor(X)
    assert isinstance(np.sum(t), gn.Tensor)
    assert float(np.sum(t)) == pytest.approx(X.sum())
    assert float(np.max(t)) == pytest.approx(X.max())
    with pytest.raises(TypeError, match="out="):
        np.sum(t, out=np.zeros(()))


# ----- comparisons ---------------------------------------------------------------
COMPARISONS = [operator.lt, operator.le, operator.gt, operator.ge, operator.eq, operator.ne]


@pytest.mark.parametrize("op", COMPARISONS, ids=lambda op: op.__name__)
@pytest.mark.parametrize(
    "other",
    [2.0, np.array([1.0, 2.0, 4.0]), "tensor"],
    ids=["scalar", "ndarray", "tensor"],
)
@pytest.mark.parametrize("tensor_first", [True, False], ids=["t-op-o", "o-op-t"])
def test_comparisons_give_boolean_tensors_outside_the_graph(op, other, tensor_first):
    values = np.array([1.0, 2.0, 3.0])
    t = gn.tensor(values, requires_grad=True)
    if isinstance(other, str):
        other = gn.tensor([1.0, 2.0, 4.0], requires_grad=True)
    out = op(t, other) if tensor_first else op(other, t)
    expected = op(values, _raw(other)) if tensor_first else op(_raw(other), values)
    assert isinstance(out, gn.Tensor)
    assert out.dtype == np.bool_
    assert out.requires_grad is False and out.node is None
    np.testing.assert_array_equal(out.numpy(), expected)


def test_comparison_of_one_element_tensor_works_in_if():
    t = gn.tensor(3.0)
    assert bool(t > 2.0)
    assert not (t < 2.0)
    with pytest.raises(TypeError, match="one-element"):
        bool(gn.tensor([1.0, 2.0]) > 0)


# ----- indexing --------------------------------------------------------------------
M = np.arange(12.0).reshape(3, 4)
INDEXES = [
    ("int", lambda: 1),
    ("negative-int", lambda: -1),
    ("slice", lambda: slice(1, None)),
    ("step-slice", lambda: (slice(None), slice(None, None, 2))),
    ("int-pair", lambda: (2, 3)),
    ("int-array", lambda: np.array([2, 0, 2])),
    ("int-list", lambda: [0, 2]),
    ("fancy-pair", lambda: (np.array([0, 1, 2]), np.array([3, 2, 1]))),
    ("bool-mask", lambda: M > 4.5),
    ("bool-rows", lambda: np.array([True, False, True])),
    ("ellipsis-none", lambda: (Ellipsis, None)),
    ("tensor-int-array", lambda: gn.tensor([1, 1, 0])),
    ("tensor-mask", lambda: gn.tensor(M) > 4.5),
    ("tensor-in-tuple", lambda: (slice(None), gn.tensor([3, 0]))),
    ("tensor-scalar", lambda: gn.tensor(2)),
]


def _raw_index(index):
    if isinstance(index, tuple):
        return tuple(_raw(i) for i in index)
    return _raw(index)


@pytest.mark.parametrize("name, make", INDEXES, ids=[i[0] for i in INDEXES])
def test_indexing_matches_numpy_and_scatters_the_gradient_back(name, make):
    index = make()
    t = gn.tensor(M, requires_grad=True)
    out = t[index]
    expected = M[_raw_index(index)]
    assert isinstance(out, gn.Tensor)
    np.testing.assert_array_equal(out.numpy(), expected)
    # gradient: each element receives the upstream values of every place it was picked
    upstream = np.random.default_rng(0).standard_normal(np.shape(expected))
    out.backward(upstream)
    scattered = np.zeros_like(M)
    np.add.at(scattered, _raw_index(index), upstream)
    np.testing.assert_allclose(t.grad.numpy(), scattered)


def test_out_of_range_index_names_the_shape():
    with pytest.raises(IndexError, match=r"\(3, 4\)"):
        gn.tensor(M)[5]


def test_float_tensor_is_not_an_index():
    with pytest.raises(TypeError, match="integer"):
        [1, 2, 3][gn.tensor(1.0)]
    assert [1, 2, 3][gn.tensor(1)] == 2


# ----- NumPy interoperability (__array__) -----------------------------------------
V = np.array([[1.0, 5.0, 2.0], [7.0, 3.0, 0.5]])
NUMPY_CALLS = [
    ("asarray", lambda a: np.asarray(a)),
    ("asarray-f64", lambda a: np.asarray(a, dtype=np.float64)),
    ("array", lambda a: np.array(a)),
    ("argmax", lambda a: np.argmax(a)),
    ("argmax-axis", lambda a: np.argmax(a, axis=1)),
    ("allclose", lambda a: np.allclose(a, V)),
    ("sum", lambda a: float(np.sum(a))),
    ("max", lambda a: float(np.max(a))),
    ("dot", lambda a: np.dot(a, np.ones(3))),
    ("tile", lambda a: np.tile(a, (2, 1))),
    ("concatenate", lambda a: np.concatenate([a, a])),
    ("mean-axis", lambda a: np.asarray(np.mean(a, axis=0))),
    ("float-of-element", lambda a: float(a[1, 0])),
    ("int-of-element", lambda a: int(a[0, 1])),
]


@pytest.mark.parametrize("name, call", NUMPY_CALLS, ids=[c[0] for c in NUMPY_CALLS])
def test_numpy_functions_accept_tensors(name, call):
    got = call(gn.tensor(V, dtype="float64"))
    expected = call(V)
    assert not isinstance(got, gn.Tensor) or name in ("mean-axis",)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(expected, dtype=float))


def test_asarray_keeps_the_tensor_dtype():
    assert np.asarray(gn.tensor([1.0, 2.0])).dtype == np.float32
    assert np.asarray(gn.tensor([1.0, 2.0]), dtype=np.float64).dtype == np.float64


@pytest.mark.parametrize("value", [gn.tensor(5.0), gn.tensor([5.0]), gn.tensor([[5.0]])], ids=["0d", "1d", "2d"])
def test_one_element_tensor_assigns_into_a_numpy_array(value):
    z = np.zeros((2, 3))
    z[1, 2] = value
    assert z[1, 2] == 5.0 and z.sum() == 5.0
    assert float(value) == 5.0


def test_float_of_many_elements_is_a_clear_error():
    with pytest.raises(TypeError, match=r"one-element.*shape=\(2,\)"):
        float(gn.tensor([1.0, 2.0]))


def test_item_returns_a_python_number():
    value = gn.tensor(2.5).item()
    assert type(value) is float and value == 2.5


# ----- printing ------------------------------------------------------------------
@pytest.mark.parametrize(
    "t, text",
    [
        (gn.tensor(3.0), "glassnet.Tensor(3.0, shape=(), dtype=float32)"),
        (gn.tensor([1.0, 2.5]), "glassnet.Tensor([1.  2.5], shape=(2,), dtype=float32)"),
        (gn.tensor([[1.0, 2.0], [3.0, 4.0]]),
         "glassnet.Tensor(\n[[1. 2.]\n [3. 4.]], shape=(2, 2), dtype=float32)"),
        (gn.tensor([1, 2]), "glassnet.Tensor([1 2], shape=(2,), dtype=int64)"),
        (gn.tensor([0.5], dtype="float64"), "glassnet.Tensor([0.5], shape=(1,), dtype=float64)"),
    ],
    ids=["0d", "1d", "2d", "int", "float64"],
)
def test_repr_and_print(t, text, capsys):
    assert repr(t) == text
    print(t)
    assert capsys.readouterr().out == text + "\n"


def test_repr_of_a_large_tensor_is_summarized():
    text = repr(gn.tensor(np.zeros(5000)))
    assert "..." in text and text.endswith("shape=(5000,), dtype=float64)")


@pytest.mark.parametrize(
    "t",
    [gn.tensor(3.14159), gn.tensor([1.5, 2.0]), gn.tensor([[1.0, 2.0], [3.0, 4.0]])],
    ids=["0d", "1d", "2d"],
)
def test_plain_format_is_numpys_formatting_of_the_values(t):
    assert f"{t}" == str(t.numpy())
    assert format(t, "") == str(t.numpy())


@pytest.mark.parametrize(
    "t", [gn.tensor(3.14159), gn.tensor([3.14159]), gn.tensor([[3.14159]])], ids=["0d", "1d", "2d"]
)
def test_format_spec_on_one_element_tensors(t):
    assert f"{t:.2f}" == "3.14"
    assert f"loss={t:8.3f}" == "loss=   3.142"


# ----- Variable ------------------------------------------------------------------
def test_variable_is_a_trainable_named_tensor():
    v = gn.Variable([1.0, 2.0], name="kernel")
    assert isinstance(v, gn.Tensor)
    assert v.requires_grad and v.trainable
    assert v.name == "kernel"
    assert v.dtype == np.float32
    assert repr(v) == (
        "<glassnet.Variable 'kernel' shape=(2,) dtype=float32, numpy=array([1., 2.], dtype=float32)>"
    )


def test_unnamed_variable_repr():
    assert repr(gn.Variable(3.0)) == (
        "<glassnet.Variable None shape=() dtype=float32, numpy=array(3., dtype=float32)>"
    )


@pytest.mark.parametrize(
    "method, argument, expected",
    [
        ("assign", [5.0, 6.0], [5.0, 6.0]),
        ("assign", gn.tensor([5.0, 6.0]), [5.0, 6.0]),
        ("assign_add", [0.5, 0.5], [1.5, 2.5]),
        ("assign_add", 1.0, [2.0, 3.0]),
        ("assign_sub", np.array([1.0, 1.0]), [0.0, 1.0]),
        ("assign_sub", gn.tensor(0.5), [0.5, 1.5]),
    ],
    ids=["assign-list", "assign-tensor", "add-list", "add-scalar", "sub-array", "sub-tensor"],
)
def test_variable_assignments_work_in_place(method, argument, expected):
    v = gn.Variable([1.0, 2.0])
    data = v.data
    getattr(v, method)(argument)
    np.testing.assert_array_equal(v.numpy(), expected)
    assert v.data is data  # same storage: the graph and optimizers keep seeing it
    assert v.dtype == np.float32


def test_variable_assign_checks_the_shape():
    v = gn.Variable([1.0, 2.0], name="w")
    with pytest.raises(ValueError, match=r"shape \(3,\).*'w'.*\(2,\)"):
        v.assign([1.0, 2.0, 3.0])


def test_variable_owns_its_storage():
    source = np.array([1.0, 2.0])
    v = gn.Variable(source)
    v.assign_add([1.0, 1.0])
    np.testing.assert_array_equal(source, [1.0, 2.0])
    assert v.dtype == np.float64


@pytest.mark.parametrize(
    "kwargs, requires_grad",
    [({}, True), ({"trainable": False}, False), ({"dtype": "int32"}, False)],
    ids=["default", "not-trainable", "integer"],
)
def test_variable_trainability(kwargs, requires_grad):
    assert gn.Variable([1, 2] if "dtype" in kwargs else [1.0, 2.0], **kwargs).requires_grad is requires_grad


def test_variable_receives_gradients_from_backward():
    v = gn.Variable([1.0, 2.0])
    (v * v).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [2.0, 4.0])


# ----- detach ---------------------------------------------------------------------
def test_detach_shares_values_and_leaves_the_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3.0
    d = y.detach()
    assert d.requires_grad is False and d.node is None and d.is_leaf
    np.testing.assert_array_equal(d.numpy(), y.numpy())
    assert np.shares_memory(d.numpy(), y.numpy())


def test_cast_between_float_types_carries_the_gradient_back_in_the_input_dtype():
    x = gn.tensor([1.5, -2.0], dtype="float32", requires_grad=True)
    y = gn.cast(x, "float64")
    assert y.dtype == np.float64
    gn.sum(y * y).backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_allclose(x.grad.numpy(), [3.0, -4.0])
