"""Gradient-table rows of the elementwise, reduction, linalg and shape families."""

import numpy as np

import glassnet as gn
from gradrows import GradRow, away_from_zero, distinct, normal, positive


def _broadcast_pairs(name, fn, op, domain=normal):
    """The same binary op over equal shapes, broadcasting pairs, scalars and size-1 axes."""
    pairs = [((3, 4), (3, 4)), ((3, 4), (4,)), ((4,), (3, 4)), ((3, 1), (1, 4)),
             ((), (2, 3)), ((2, 3), ()), ((2, 1, 3), (4, 1))]
    return [GradRow(f"{name}{a}x{b}", fn, (a, b), (op,), domain) for a, b in pairs]


def _positive_and_any(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


def _mask(shape, seed=3):
    return np.random.default_rng(seed).random(shape) > 0.5


ROWS = [
    *_broadcast_pairs("add", gn.add, "Add"),
    *_broadcast_pairs("subtract", gn.subtract, "Subtract"),
    *_broadcast_pairs("multiply", gn.multiply, "Multiply"),
    *_broadcast_pairs("divide", gn.divide, "Divide", (normal, positive)),
    *_broadcast_pairs("power", gn.power, "Power", (positive, normal)),
    *_broadcast_pairs("maximum", gn.maximum, "Maximum", distinct),
    *_broadcast_pairs("minimum", gn.minimum, "Minimum", distinct),
    GradRow("operators", lambda x, y: (x + 1.0) * y - x / 2.0 + 3.0 ** y - (-x) ** 2, ((3,), (3,)),
            ("Add", "Multiply", "Subtract", "Divide", "Power", "Negative")),
    GradRow("rsub_rdiv", lambda x: 1.0 - 2.0 / x, ((4,),), ("Subtract", "Divide"), positive),
    GradRow("power_scalar_exponent", lambda x: x ** 3, ((2, 3),), ("Power",)),
    # a float32 step would drown the finite differences; test_tensor checks the dtypes cross
    GradRow("cast_same_dtype", lambda x: gn.cast(x, x.dtype) * 2.0, ((2, 3),), ("Cast",)),
    GradRow("negative", gn.negative, ((2, 3),), ("Negative",)),
    GradRow("square", gn.square, ((2, 3),), ("Multiply",)),
    GradRow("sqrt", gn.sqrt, ((2, 3),), ("Sqrt",), positive),
    GradRow("exp", gn.exp, ((2, 3),), ("Exp",)),
    GradRow("exp_scalar", gn.exp, ((),), ("Exp",)),
    GradRow("log", gn.log, ((2, 3),), ("Log",), positive),
    GradRow("log1p", gn.log1p, ((2, 3),), ("Log1p",), positive),
    GradRow("abs", gn.abs, ((2, 3),), ("Abs",), away_from_zero),
    # bounds at ±0.5 while inputs sit in ±[0.1, 1]: none lands on a bound within eps
    GradRow("clip", lambda x: gn.clip(x, -0.5, 0.5), ((4, 5),), ("Clip",), away_from_zero),
    GradRow("clip_upper_only", lambda x: gn.clip(x, None, 0.5), ((6,),), ("Clip",), away_from_zero),
    GradRow("where", lambda x, y: gn.where(_mask((3, 4)), x, y), ((3, 4), (3, 4)), ("Where",)),
    GradRow("where_broadcast", lambda x, y: gn.where(_mask((3, 4)), x, y), ((4,), (3, 1)), ("Where",)),
    # reductions
    GradRow("sum_all", gn.sum, ((3, 4),), ("Sum",)),
    GradRow("sum_axis0", lambda x: gn.sum(x, axis=0), ((3, 4),), ("Sum",)),
    GradRow("sum_axes_keepdims", lambda x: gn.sum(x, axis=(0, 2), keepdims=True), ((2, 3, 4),), ("Sum",)),
    GradRow("sum_negative_axis", lambda x: gn.sum(x, axis=-1), ((2, 3, 4),), ("Sum",)),
    GradRow("sum_scalar", gn.sum, ((),), ("Sum",)),
    GradRow("mean_all", gn.mean, ((3, 4),), ("Mean",)),
    GradRow("mean_axis1_keepdims", lambda x: gn.mean(x, axis=1, keepdims=True), ((3, 4),), ("Mean",)),
    GradRow("mean_axes", lambda x: gn.mean(x, axis=(1, 2)), ((2, 3, 4),), ("Mean",)),
    GradRow("max_all", gn.max, ((3, 4),), ("Max",), distinct),
    GradRow("max_axis", lambda x: gn.max(x, axis=1), ((3, 4),), ("Max",), distinct),
    GradRow("max_axes_keepdims", lambda x: gn.max(x, axis=(0, 2), keepdims=True), ((2, 3, 4),), ("Max",), distinct),
    GradRow("min_all", gn.min, ((3, 4),), ("Min",), distinct),
    GradRow("min_axis", lambda x: gn.min(x, axis=0), ((3, 4),), ("Min",), distinct),
    GradRow("var_all", gn.var, ((3, 4),), ("Mean", "Subtract", "Multiply", "Sum")),
    GradRow("var_axis_ddof", lambda x: gn.var(x, axis=0, ddof=1), ((4, 3),), ("Mean", "Sum")),
    GradRow("std_axis", lambda x: gn.std(x, axis=1, keepdims=True), ((3, 5),), ("Sqrt",)),
    # linear algebra
    GradRow("matmul_2d", gn.matmul, ((3, 4), (4, 5)), ("MatMul",)),
    GradRow("matmul_batched", gn.matmul, ((2, 3, 4), (2, 4, 5)), ("MatMul",)),
    GradRow("matmul_batch_broadcast", gn.matmul, ((2, 3, 4), (4, 5)), ("MatMul",)),
    GradRow("matmul_batch_broadcast_left", gn.matmul, ((3, 4), (2, 4, 5)), ("MatMul",)),
    GradRow("matmul_vector_matrix", gn.matmul, ((4,), (4, 5)), ("MatMul",)),
    GradRow("matmul_matrix_vector", gn.matmul, ((3, 4), (4,)), ("MatMul",)),
    GradRow("matmul_vector_batch", gn.matmul, ((4,), (2, 4, 5)), ("MatMul",)),
    GradRow("matmul_batch_vector", gn.matmul, ((2, 3, 4), (4,)), ("MatMul",)),
    GradRow("matmul_inner", gn.matmul, ((4,), (4,)), ("MatMul",)),
    GradRow("matmul_operator", lambda x, y: x @ y, ((2, 3), (3, 2)), ("MatMul",)),
    GradRow("dot_2d", gn.dot, ((3, 4), (4, 2)), ("MatMul",)),
    GradRow("dot_nd", gn.dot, ((2, 3, 4), (5, 4, 2)), ("MatMul", "Transpose", "Reshape")),
    GradRow("dot_scalar", gn.dot, ((), (3,)), ("Multiply",)),
    GradRow("dense", gn.nn.dense, ((4, 3), (3, 2), (2,)), ("Dense",)),
    GradRow("dense_relu", lambda x, w, b: gn.nn.dense(x, w, b, activation="relu"), ((4, 3), (3, 2), (2,)),
            ("Dense",), (normal, normal, lambda rng, s: rng.uniform(2.0, 3.0, s) * rng.choice([-1, 1], s))),
    GradRow("dense_sigmoid", lambda x, w, b: gn.nn.dense(x, w, b, activation="sigmoid"), ((4, 3), (3, 2), (2,)), ("Dense",)),
    GradRow("dense_tanh_3d", lambda x, w: gn.nn.dense(x, w, activation="tanh"), ((2, 4, 3), (3, 2)), ("Dense",)),
    GradRow("dense_no_bias", gn.nn.dense, ((4, 3), (3, 2)), ("Dense",)),
    GradRow("dense_3d_input", gn.nn.dense, ((2, 4, 3), (3, 2), (2,)), ("Dense",)),
    GradRow("dense_constant_input", lambda w, b: gn.nn.dense(np.ones((4, 3), dtype=w.dtype), w, b), ((3, 2), (2,)), ("Dense",)),
    # shape and indexing
    GradRow("reshape", lambda x: gn.reshape(x, (4, -1)), ((2, 3, 4),), ("Reshape",)),
    GradRow("reshape_method", lambda x: x.reshape(6), ((2, 3),), ("Reshape",)),
    GradRow("transpose", gn.transpose, ((2, 3, 4),), ("Transpose",)),
    GradRow("transpose_axes", lambda x: gn.transpose(x, (1, 2, 0)), ((2, 3, 4),), ("Transpose",)),
    GradRow("T", lambda x: x.T * 2.0, ((2, 3),), ("Transpose",)),
    GradRow("expand_dims", lambda x: gn.expand_dims(x, 1), ((2, 3),), ("Reshape",)),
    GradRow("squeeze", lambda x: gn.squeeze(x, axis=1), ((2, 1, 3),), ("Reshape",)),
    GradRow("broadcast_to", lambda x: gn.broadcast_to(x, (2, 3, 4)), ((3, 1),), ("BroadcastTo",)),
    GradRow("concatenate", lambda x, y: gn.concatenate([x, y, x], axis=1), ((2, 3), (2, 1)), ("Concatenate",)),
    GradRow("concatenate_axis0", lambda x, y: gn.concatenate([x, y]), ((2, 3), (1, 3)), ("Concatenate",)),
    GradRow("stack", lambda x, y: gn.stack([x, y], axis=-1), ((2, 3), (2, 3)), ("Concatenate", "Reshape")),
    GradRow("pad", lambda x: gn.pad(x, ((1, 0), (2, 1))), ((2, 3),), ("Pad",)),
    GradRow("pad_constant", lambda x: gn.pad(x, 1, constant_values=0.5), ((3,),), ("Pad",)),
    GradRow("getitem_slice", lambda x: x[1:, ::2], ((3, 5),), ("GetItem",)),
    GradRow("getitem_int", lambda x: x[1], ((3, 4),), ("GetItem",)),
    GradRow("getitem_ellipsis_none", lambda x: x[..., None, 0], ((2, 3),), ("GetItem",)),
    GradRow("getitem_int_array_repeats", lambda x: x[np.array([0, 2, 0, 0])], ((3, 2),), ("GetItem",)),
    GradRow("getitem_fancy_pairs", lambda x: x[np.arange(3), np.array([1, 0, 1])], ((3, 2),), ("GetItem",)),
    GradRow("getitem_mask", lambda x: x[_mask((3, 4), seed=5)], ((3, 4),), ("GetItem",)),
]
