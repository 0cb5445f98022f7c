"""Gradient-table rows of the conv, pooling, dropout and batch-norm families
(glassnet.ops.conv, .pooling, .random_ops, .normalization).

Sizes stay small (odd, non-square) so element-wise finite differences are quick;
inputs over check_grad's max_elements are checked along random directions.
"""

import numpy as np

import glassnet as gn
from gradrows import GradRow, distinct, normal


def _conv2d(**options):
    return lambda x, kernel, bias=None: gn.nn.conv2d(x, kernel, bias, **options)


def _conv1d(**options):
    return lambda x, kernel, bias=None: gn.nn.conv1d(x, kernel, bias, **options)


def _pool(fn, **options):
    return lambda x: fn(x, **options)


# The configurations, shared with test_conv_forward.py's loop references.
# (id, x shape, kernel shape, with bias, options)
CONV2D_CASES = [
    ("valid", (2, 7, 5, 3), (3, 2, 3, 4), True, {}),
    ("same", (2, 7, 5, 3), (3, 3, 3, 2), True, {"padding": "same"}),
    ("same_even_kernel", (1, 6, 5, 2), (2, 4, 2, 3), False, {"padding": "same"}),
    ("stride2_valid", (2, 7, 5, 2), (3, 2, 2, 3), True, {"strides": 2}),
    ("stride2_same", (1, 7, 5, 2), (3, 3, 2, 3), True, {"strides": (2, 2), "padding": "same"}),
    ("stride2x1_same_no_bias", (2, 7, 5, 2), (2, 3, 2, 2), False, {"strides": (2, 1), "padding": "same"}),
    ("dilation2_valid", (1, 7, 6, 2), (2, 3, 2, 2), True, {"dilation_rate": 2}),
    ("dilation2_same", (1, 7, 5, 2), (3, 2, 2, 3), False, {"dilation_rate": (2, 2), "padding": "same"}),
    ("stride2_dilation2_same", (1, 7, 6, 2), (2, 2, 2, 2), True, {"strides": 2, "dilation_rate": 2, "padding": "same"}),
    ("1x1", (2, 3, 5, 3), (1, 1, 3, 2), True, {}),
    ("kernel_fills_input", (2, 3, 2, 2), (3, 2, 2, 3), True, {}),
    ("larger_batch_random_directions", (4, 9, 7, 3), (3, 3, 3, 4), True, {"padding": "same"}),
    # one input channel: im2col copies one kernel offset at a time
    ("one_channel_valid", (2, 7, 5, 1), (3, 2, 1, 3), True, {}),
    ("one_channel_stride2_same", (2, 7, 6, 1), (3, 3, 1, 2), False, {"strides": 2, "padding": "same"}),
    ("one_channel_dilation2", (1, 7, 6, 1), (2, 3, 1, 2), True, {"dilation_rate": 2}),
    # 3x3, stride 1, 8+ channels and 16+ filters: the forward pass is Winograd's (ops/winograd.py),
    # here with tiles sticking out past an odd number of output rows, then of columns
    ("winograd_valid_odd_rows", (2, 7, 6, 8), (3, 3, 8, 16), True, {}),
    ("winograd_same_odd_columns_no_bias", (1, 6, 5, 9), (3, 3, 9, 17), False, {"padding": "same"}),
    # 16+ channels and 8+ filters: the input's gradient is Winograd's (here only that way)
    ("winograd_input_gradient_same", (1, 6, 5, 16), (3, 3, 16, 8), True, {"padding": "same"}),
]

CONV1D_CASES = [
    ("valid", (2, 9, 3), (3, 3, 4), True, {}),
    ("same_stride2_no_bias", (2, 9, 3), (4, 3, 2), False, {"strides": 2, "padding": "same"}),
    ("stride3_valid", (2, 10, 2), (2, 2, 3), True, {"strides": 3}),
    ("dilation2_same", (2, 8, 2), (3, 2, 3), True, {"dilation_rate": 2, "padding": "same"}),
    ("causal_dilation2", (2, 7, 2), (2, 2, 3), True, {"dilation_rate": 2, "padding": "causal"}),
    ("one_channel_causal_stride2", (2, 9, 1), (3, 1, 2), True, {"strides": 2, "padding": "causal"}),
]

# Fused activations: (id, x shape, kernel shape, with bias, options including the activation)
FUSED_CONV2D_CASES = [
    ("relu_same", (2, 6, 5, 3), (3, 3, 3, 4), True, {"padding": "same", "activation": "relu"}),
    ("sigmoid_stride2_no_bias", (2, 7, 5, 2), (3, 2, 2, 3), False, {"strides": 2, "activation": "sigmoid"}),
    ("tanh_one_channel_dilation2", (2, 7, 6, 1), (2, 2, 1, 3), True, {"dilation_rate": 2, "activation": "tanh"}),
    # 2.2 MB of float64 columns per image: three blocks of one image each, every block masked
    ("relu_three_blocks", (3, 64, 64, 8), (3, 3, 8, 4), True, {"activation": "relu"}),
    ("winograd_relu", (2, 5, 7, 8), (3, 3, 8, 16), True, {"activation": "relu"}),
    ("winograd_tanh_same", (1, 6, 6, 8), (3, 3, 8, 16), True, {"padding": "same", "activation": "tanh"}),
    ("winograd_both_ways_relu", (2, 5, 6, 16), (3, 3, 16, 16), True, {"activation": "relu"}),
]
FUSED_CONV1D_CASES = [
    ("relu_causal", (2, 9, 3), (3, 3, 4), True, {"padding": "causal", "activation": "relu"}),
    ("tanh_same_stride2", (2, 8, 2), (2, 2, 3), False, {"strides": 2, "padding": "same", "activation": "tanh"}),
]

# (id, x shape, options): 2-D and 1-D pools, each run as max and as avg
POOL2D_CASES = [
    ("2", (2, 6, 4, 3), {}),
    ("2_valid_odd", (2, 7, 5, 2), {}),
    ("2_same_odd", (2, 7, 5, 2), {"padding": "same"}),
    ("3_stride2_overlapping", (2, 7, 5, 2), {"pool_size": 3, "strides": 2}),
    ("3_stride2_same", (2, 7, 6, 2), {"pool_size": (3, 3), "strides": (2, 2), "padding": "same"}),
    ("3_stride1_same", (1, 5, 4, 2), {"pool_size": 3, "strides": 1, "padding": "same"}),
    ("2x3_stride1x2", (2, 5, 7, 2), {"pool_size": (2, 3), "strides": (1, 2)}),
    ("2_stride3_gaps", (1, 7, 8, 2), {"pool_size": 2, "strides": 3}),
]

POOL1D_CASES = [
    ("2", (2, 8, 3), {}),
    ("2_same_odd", (2, 7, 2), {"padding": "same"}),
    ("3_stride2_overlapping", (2, 9, 2), {"pool_size": 3, "strides": 2}),
    ("3_stride2_same", (2, 8, 2), {"pool_size": 3, "strides": 2, "padding": "same"}),
]


def _positive_scale(rng, shape):
    return rng.uniform(0.5, 2.0, shape)


ROWS = [
    *[GradRow(f"conv2d_{name}", _conv2d(**options), (x, k, (k[-1],)) if bias else (x, k), ("Conv2D",))
      for name, x, k, bias, options in CONV2D_CASES],
    # a transposed (non-contiguous) input, and a non-contiguous gradient arriving from above
    GradRow("conv2d_strided_input_and_upstream",
            lambda x, k: gn.transpose(gn.nn.conv2d(gn.transpose(x, (0, 2, 1, 3)), k, strides=(1, 2)), (0, 2, 1, 3)),
            ((2, 5, 7, 3), (2, 3, 3, 2)), ("Conv2D", "Transpose")),
    GradRow("conv2d_constant_input", lambda k, b: gn.nn.conv2d(np.ones((1, 4, 3, 2), dtype=k.dtype), k, b),
            ((2, 2, 2, 3), (3,)), ("Conv2D",)),
    *[GradRow(f"conv1d_{name}", _conv1d(**options), (x, k, (k[-1],)) if bias else (x, k), ("Conv1D",))
      for name, x, k, bias, options in CONV1D_CASES],
    *[GradRow(f"conv2d_{name}", _conv2d(**options), (x, k, (k[-1],)) if bias else (x, k), ("Conv2D",))
      for name, x, k, bias, options in FUSED_CONV2D_CASES],
    *[GradRow(f"conv1d_{name}", _conv1d(**options), (x, k, (k[-1],)) if bias else (x, k), ("Conv1D",))
      for name, x, k, bias, options in FUSED_CONV1D_CASES],
    GradRow("max_pool2d_non_contiguous_input", lambda x: gn.nn.max_pool2d(gn.transpose(x, (0, 2, 1, 3)), 3, 2, "same"),
            ((2, 5, 7, 2),), ("MaxPool2D", "Transpose"), distinct),
    *[GradRow(f"max_pool2d_{name}", _pool(gn.nn.max_pool2d, **options), (x,), ("MaxPool2D",), distinct)
      for name, x, options in POOL2D_CASES],
    *[GradRow(f"avg_pool2d_{name}", _pool(gn.nn.avg_pool2d, **options), (x,), ("AvgPool2D",))
      for name, x, options in POOL2D_CASES],
    *[GradRow(f"max_pool1d_{name}", _pool(gn.nn.max_pool1d, **options), (x,), ("MaxPool1D",), distinct)
      for name, x, options in POOL1D_CASES],
    *[GradRow(f"avg_pool1d_{name}", _pool(gn.nn.avg_pool1d, **options), (x,), ("AvgPool1D",))
      for name, x, options in POOL1D_CASES],
    # a generator re-created on every call: each finite-difference evaluation sees the same mask
    GradRow("dropout", lambda x: gn.nn.dropout(x, 0.3, np.random.default_rng(0)), ((4, 5),), ("Multiply",)),
    GradRow("dropout_noise_shape", lambda x: gn.nn.dropout(x, 0.5, np.random.default_rng(1), noise_shape=(2, 1, 3)),
            ((2, 4, 3),), ("Multiply",)),
    GradRow("batch_norm_last_axis", lambda x, g, b: gn.ops.batch_norm(x, g, b), ((6, 3), (3,), (3,)),
            ("BatchNorm",), (normal, _positive_scale, normal)),
    GradRow("batch_norm_last_axis_4d", lambda x, g, b: gn.ops.batch_norm(x, g, b, epsilon=1e-5),
            ((2, 3, 4, 2), (2,), (2,)), ("BatchNorm",), (normal, _positive_scale, normal)),
    GradRow("batch_norm_axis1", lambda x, g, b: gn.ops.batch_norm(x, g, b, axis=1), ((3, 2, 4), (2,), (2,)),
            ("BatchNorm",), (normal, _positive_scale, normal)),
    GradRow("batch_norm_non_contiguous_input", lambda x, g: gn.ops.batch_norm(gn.transpose(x, (1, 0, 2)), g),
            ((3, 4, 2), (2,)), ("BatchNorm", "Transpose"), (normal, _positive_scale)),
    GradRow("batch_norm_no_gamma_no_beta", lambda x: gn.ops.batch_norm(x), ((5, 3),), ("BatchNorm",)),
    GradRow("batch_norm_axis1_gamma_only", lambda x, g: gn.ops.batch_norm(x, g, axis=1), ((2, 3, 4), (3,)),
            ("BatchNorm",), (normal, _positive_scale)),
    GradRow("batch_norm_beta_only", lambda x, b: gn.ops.batch_norm(x, None, b, axis=-2), ((4, 3, 2), (3,)),
            ("BatchNorm",)),
    GradRow("batch_normalization_given_statistics",
            lambda x, m, v, o, s: gn.nn.batch_normalization(x, m, v, o, s, 1e-3),
            ((4, 3), (3,), (3,), (3,), (3,)), ("Divide", "Sqrt", "Multiply", "Subtract", "Add"),
            (normal, normal, _positive_scale, normal, normal)),
]
