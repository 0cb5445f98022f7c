"""layer.trainable = False: the layer's weights stay put and no step computes their gradients."""

import numpy as np

import glassnet as gn


def _model():
    gn.random.set_seed(0)
    model = gn.keras.Sequential([gn.keras.Input((4,)), gn.keras.layers.Dense(6, activation="relu"),
                                 gn.keras.layers.Dense(3)])
    model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    return model


def test_a_frozen_layer_keeps_its_weights_and_gets_no_gradient():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((64, 4)).astype(np.float32), rng.integers(0, 3, 64)
    model = _model()
    first, second = model.layers
    first.trainable = False
    frozen = first.get_weights()
    before = second.get_weights()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0)
    for a, b in zip(frozen, first.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert all(w.grad is None for w in first.weights)  # never computed, not merely unused
    assert not all(np.array_equal(a, b) for a, b in zip(before, second.get_weights()))
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2

    first.trainable = True  # unfreezing lets gradients flow again; as in Keras, compile again
    model.compile(loss=gn.keras.losses.SparseCategoricalCrossentropy(from_logits=True), optimizer="adam")
    model.fit(x, y, batch_size=16, verbose=0)
    assert first.kernel.grad is not None
    assert not np.array_equal(frozen[0], first.get_weights()[0])


def test_a_layer_built_while_frozen_starts_frozen():
    layer = gn.keras.layers.Dense(2, trainable=False)
    layer(np.ones((1, 3), np.float32))
    assert not layer.kernel.requires_grad and layer.trainable_weights == []
    layer.trainable = True
    assert layer.kernel.requires_grad and len(layer.trainable_weights) == 2
