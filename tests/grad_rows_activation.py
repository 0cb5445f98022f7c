"""Gradient-table rows of the activation, softmax and fused-loss families
(glassnet.ops.activation, .softmax_ops, .losses)."""

import numpy as np

import glassnet as gn
from glassnet.ops.losses import mean_squared_error_per_example
from glassnet.ops.probability_losses import (binary_crossentropy_from_probabilities,
                                             categorical_crossentropy_from_probabilities,
                                             sparse_crossentropy_from_probabilities)
from gradrows import GradRow, away_from_zero, distinct, normal, positive

SHAPES = ((), (5,), (3, 4), (2, 3, 4))


def _wide(rng, shape):
    """Normal values spread to ±10: the tails of sigmoid, tanh, softplus and gelu."""
    return rng.uniform(-10.0, 10.0, shape)


def _relu6_domain(rng, shape):
    """±[0.1, 1] with about a third in [6.1, 7]: off relu6's kinks at 0 and 6."""
    values = away_from_zero(rng, shape)
    high = rng.random(shape) < 1 / 3
    return np.where(high, rng.uniform(6.1, 7.0, shape), values)


def _hard_sigmoid_domain(rng, shape):
    """±[0.1, 2.9] and ±[3.1, 4]: off hard_sigmoid's kinks at ±3."""
    inside = rng.uniform(0.1, 2.9, shape)
    outside = rng.uniform(3.1, 4.0, shape)
    magnitude = np.where(rng.random(shape) < 0.3, outside, inside)
    return magnitude * rng.choice([-1.0, 1.0], shape)


def _wide_away_from_zero(rng, shape):
    """±[0.1, 5]: elu with a non-unit alpha has a kink at 0."""
    return rng.uniform(0.1, 5.0, shape) * rng.choice([-1.0, 1.0], shape)


def _probabilities(rng, shape):
    """Soft labels: positive rows summing to 1 along the last axis."""
    p = rng.uniform(0.1, 1.0, shape)
    return p / p.sum(axis=-1, keepdims=True)


def _unit(rng, shape):
    """Binary-cross-entropy targets in [0, 1]."""
    return rng.uniform(0.0, 1.0, shape)


def _partly_clipped(rng, shape):
    """Probabilities in [0.05, 0.95], a third of them pushed past the clip bounds (to -0.5
    or 1.5), where the loss is flat: the gradient must be 0 there."""
    p = rng.uniform(0.05, 0.95, shape)
    past = rng.uniform(size=shape) < 1 / 3
    return np.where(past, rng.choice([-0.5, 1.5], shape), p)


def _every_shape(name, fn, ops, domain=normal, shapes=SHAPES):
    return [GradRow(f"{name}{shape}", fn, (shape,), ops, domain) for shape in shapes]


_RNG = np.random.default_rng(7)
_SPARSE = {shape: _RNG.integers(0, shape[-1], shape[:-1]) for shape in ((5,), (4, 5), (2, 3, 5))}
_BINARY = {shape: _unit(_RNG, shape) for shape in ((), (6,), (3, 4))}

ROWS = [
    # ----- elementwise Functions
    *_every_shape("sigmoid", gn.nn.sigmoid, ("Sigmoid",)),
    GradRow("sigmoid_tails", gn.nn.sigmoid, ((20,),), ("Sigmoid",), _wide),
    *_every_shape("tanh", gn.nn.tanh, ("Tanh",)),
    GradRow("tanh_tails", gn.nn.tanh, ((20,),), ("Tanh",), _wide),
    *_every_shape("relu", gn.nn.relu, ("Relu",), away_from_zero),
    *_every_shape("leaky_relu", gn.nn.leaky_relu, ("LeakyRelu",), away_from_zero),
    GradRow("leaky_relu_alpha", lambda x: gn.nn.leaky_relu(x, alpha=0.01), ((3, 4),), ("LeakyRelu",),
            away_from_zero),
    *_every_shape("elu", gn.nn.elu, ("Elu",), away_from_zero),
    GradRow("elu_alpha", lambda x: gn.nn.elu(x, alpha=0.5), ((4, 5),), ("Elu",), _wide_away_from_zero),
    *_every_shape("softplus", gn.nn.softplus, ("Softplus",)),
    GradRow("softplus_tails", gn.nn.softplus, ((20,),), ("Softplus",), _wide),
    *_every_shape("gelu", gn.nn.gelu, ("Gelu",)),
    GradRow("gelu_tails", gn.nn.gelu, ((20,),), ("Gelu",), _wide),
    *_every_shape("gelu_tanh", lambda x: gn.nn.gelu(x, approximate=True), ("Gelu",)),
    GradRow("gelu_tanh_tails", lambda x: gn.nn.gelu(x, approximate=True), ((20,),), ("Gelu",), _wide),
    # ----- composites
    *_every_shape("relu6", gn.nn.relu6, ("Clip",), _relu6_domain),
    *_every_shape("selu", gn.nn.selu, ("Elu", "Multiply"), away_from_zero),
    *_every_shape("silu", gn.nn.silu, ("Multiply", "Sigmoid")),
    GradRow("swish", gn.nn.swish, ((3, 4),), ("Multiply", "Sigmoid"), _wide),
    *_every_shape("softsign", gn.nn.softsign, ("Divide", "Add", "Abs"), away_from_zero),
    *_every_shape("hard_sigmoid", gn.nn.hard_sigmoid, ("Add", "Clip", "Divide"), _hard_sigmoid_domain),
    *_every_shape("exponential", gn.nn.exponential, ("Exp",)),
    # ----- softmax family, over different axes
    *_every_shape("softmax", gn.nn.softmax, ("Softmax",), shapes=SHAPES[1:]),
    GradRow("softmax_axis0", lambda x: gn.nn.softmax(x, axis=0), ((3, 4),), ("Softmax",)),
    GradRow("softmax_axis1_of_3", lambda x: gn.nn.softmax(x, axis=1), ((2, 3, 4),), ("Softmax",)),
    GradRow("softmax_size1_axis", gn.nn.softmax, ((3, 1),), ("Softmax",)),
    GradRow("softmax_wide", gn.nn.softmax, ((4, 6),), ("Softmax",), _wide),
    *_every_shape("log_softmax", gn.nn.log_softmax, ("LogSoftmax",), shapes=SHAPES[1:]),
    GradRow("log_softmax_axis0", lambda x: gn.nn.log_softmax(x, axis=0), ((3, 4),), ("LogSoftmax",)),
    GradRow("log_softmax_axis_neg2", lambda x: gn.nn.log_softmax(x, axis=-2), ((2, 3, 4),),
            ("LogSoftmax",)),
    GradRow("log_softmax_wide", gn.nn.log_softmax, ((4, 6),), ("LogSoftmax",), _wide),
    *_every_shape("logsumexp_all", gn.nn.logsumexp, ("LogSumExp",)),
    GradRow("logsumexp_axis0", lambda x: gn.nn.logsumexp(x, axis=0), ((3, 4),), ("LogSumExp",)),
    GradRow("logsumexp_axis_last_keepdims", lambda x: gn.nn.logsumexp(x, axis=-1, keepdims=True),
            ((2, 3, 4),), ("LogSumExp",)),
    GradRow("logsumexp_axes", lambda x: gn.nn.logsumexp(x, axis=(0, 2)), ((2, 3, 4),), ("LogSumExp",)),
    GradRow("logsumexp_all_keepdims", lambda x: gn.nn.logsumexp(x, keepdims=True), ((3, 4),),
            ("LogSumExp",)),
    # ties must not matter: logsumexp is smooth even where the max is shared
    GradRow("logsumexp_distinct", lambda x: gn.nn.reduce_logsumexp(x, axis=1), ((3, 5),), ("LogSumExp",),
            distinct),
    # ----- fused losses: integer / fixed labels live in the closures
    *[GradRow(f"sparse_softmax_ce{shape}",
              lambda x, y=labels: gn.nn.sparse_softmax_cross_entropy_with_logits(y, x),
              (shape,), ("SparseSoftmaxCrossEntropyWithLogits",))
      for shape, labels in _SPARSE.items()],
    GradRow("sparse_softmax_ce_wide",
            lambda x: gn.nn.sparse_softmax_cross_entropy_with_logits(_SPARSE[(4, 5)], x),
            ((4, 5),), ("SparseSoftmaxCrossEntropyWithLogits",), _wide),
    GradRow("softmax_ce_soft_labels", gn.nn.softmax_cross_entropy_with_logits, ((4, 5), (4, 5)),
            ("SoftmaxCrossEntropyWithLogits",), (_probabilities, normal)),
    GradRow("softmax_ce_soft_labels_3d", gn.nn.softmax_cross_entropy_with_logits, ((2, 3, 4), (2, 3, 4)),
            ("SoftmaxCrossEntropyWithLogits",), (_probabilities, _wide)),
    # unnormalised positive labels exercise the softmax * sum(labels) - labels rule
    GradRow("softmax_ce_unnormalised_axis0",
            lambda y, x: gn.nn.softmax_cross_entropy_with_logits(y, x, axis=0), ((3, 4), (3, 4)),
            ("SoftmaxCrossEntropyWithLogits",), (positive, normal)),
    GradRow("softmax_ce_one_hot",
            lambda x: gn.nn.softmax_cross_entropy_with_logits(np.eye(5)[_SPARSE[(4, 5)]], x),
            ((4, 5),), ("SoftmaxCrossEntropyWithLogits",)),
    *[GradRow(f"sigmoid_ce{shape}",
              lambda x, z=labels: gn.nn.sigmoid_cross_entropy_with_logits(z, x),
              (shape,), ("SigmoidCrossEntropyWithLogits",), _wide)
      for shape, labels in _BINARY.items()],
    # probabilities kept away from the clip bounds, where the loss has a kink
    *[GradRow(f"binary_ce_probabilities{shape}",
              lambda p, z=labels: binary_crossentropy_from_probabilities(z, p, 1e-7),
              (shape,), ("BinaryCrossentropyFromProbabilities",), _unit)
      for shape, labels in _BINARY.items()],
    *[GradRow(f"sparse_ce_probabilities{shape}",
              lambda p, y=labels: sparse_crossentropy_from_probabilities(y, p, 1e-7),
              (shape,), ("SparseCrossentropyFromProbabilities",), _unit)
      for shape, labels in _SPARSE.items()],
    GradRow("sparse_ce_probabilities_clipped",
            lambda p: sparse_crossentropy_from_probabilities(_SPARSE[(4, 5)], p, 1e-7),
            ((4, 5),), ("SparseCrossentropyFromProbabilities",), _partly_clipped),
    # unnormalised positive probabilities, kept off the clip; and a third pushed past it
    GradRow("categorical_ce_probabilities",
            lambda p: categorical_crossentropy_from_probabilities(np.eye(5)[_SPARSE[(4, 5)]], p, 1e-7),
            ((4, 5),), ("CategoricalCrossentropyFromProbabilities",), positive),
    GradRow("categorical_ce_probabilities_soft_axis0",
            lambda p: categorical_crossentropy_from_probabilities(_probabilities(np.random.default_rng(5), (3, 4)).T,
                                                                  p, 1e-7, axis=0),
            ((4, 3),), ("CategoricalCrossentropyFromProbabilities",), positive),
    *[GradRow(f"mean_squared_error{shape}",
              lambda p, y=np.random.default_rng(6).standard_normal(shape): mean_squared_error_per_example(y, p),
              (shape,), ("MeanSquaredErrorPerExample",))
      for shape in ((5,), (4, 1), (4, 3), (2, 3, 4))],
    GradRow("sigmoid_ce_labels_and_logits", gn.nn.sigmoid_cross_entropy_with_logits, ((3, 4), (3, 4)),
            ("SigmoidCrossEntropyWithLogits",), (_unit, normal)),
]
