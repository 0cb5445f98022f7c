"""`Model`: what every model can do once it can compute outputs: compile, fit, evaluate, predict.

A subclass provides ``call(inputs, training)`` and its layers; this class resolves
``compile``'s names to objects, runs one training or test step, and hands the loops
to :mod:`glassnet.training.loop`.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers as optimizers_module
from ..autograd import Tensor, no_grad
from ..autograd.replay import StepPlan
from ..layers.base import weight_array
from ..training import loop, numerics
from .advice import warn_about_output_and_loss

__all__ = ["Model"]

_as_grad = Tensor._from_op  # wraps an array without copying or checking it

def _batch_signature(x, y, sample_weight) -> tuple:
    """The part of a recorded step's key that fixes the batch: shapes and dtypes."""
    return (x.shape, x.dtype, y.shape, y.dtype,
            None if sample_weight is None else (sample_weight.shape, sample_weight.dtype))


class Model:
    """Base of trainable models (see :class:`glassnet.models.Sequential`)."""

    def __init__(self, name=None):
        self.name = name
        self.optimizer = None
        self.loss = None
        self.compiled_metrics: list = []
        self._metric_identifiers: list = []
        self._metrics_ready = False
        self.stop_training = False
        self.history = None
        #: train_step skips (and raises on) a step whose loss or gradient is NaN or Inf;
        #: fit(on_nonfinite='ignore') turns this off for its run.
        self.check_finite_steps = True
        self._step_plans: dict = {}  # train_step's recorded graphs, by model, loss and batch shapes
        self._plans_fingerprint = None  # the layers' and loss's settings when they were recorded
        self._output_shapes: dict = {}  # one sample's output shape, by input shape, kept with the plans

    # ----- what subclasses provide ------------------------------------------------
    @property
    def layers(self) -> list:  # pragma: no cover - the contract
        raise NotImplementedError(f"{type(self).__name__} must provide its list of layers.")

    def build_for_data(self, x) -> None:
        """Build the model for inputs shaped like ``x`` (a no-op once built)."""

    @property
    def input_dtype(self) -> str:
        return backend.floatx()

    # ----- weights -------------------------------------------------------------------
    @property
    def weights(self) -> list:
        return [w for layer in self.layers for w in layer.weights]

    @property
    def trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.trainable_weights]

    @property
    def non_trainable_weights(self) -> list:
        return [w for layer in self.layers for w in layer.non_trainable_weights]

    @property
    def trainable_variables(self) -> list:
        return self.trainable_weights

    @property
    def losses(self) -> list:
        """Regularization penalties of every layer, as scalar tensors."""
        return [penalty for layer in self.layers for penalty in layer.losses]

    def get_weights(self) -> list:
        """Copies of every weight, layer by layer, as NumPy arrays."""
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights) -> None:
        """Set every weight from a list in ``get_weights()`` order (all checked before any is set)."""
        if isinstance(weights, (str, bytes, dict)) or not hasattr(weights, "__iter__"):
            raise TypeError(
                f"weights: expected a list of arrays in get_weights() order, received {type(weights).__name__}"
            )
        weights = list(weights)
        expected = sum(len(layer.weights) for layer in self.layers)
        if len(weights) != expected:
            raise ValueError(
                f'Model "{self.name}" expects {expected} weight arrays, but received {len(weights)}.'
            )
        position, staged = 0, []
        for layer in self.layers:
            values = []
            for variable in layer.weights:  # validate every array before writing any
                values.append(weight_array(weights[position], variable, layer, position))
                position += 1
            staged.append((layer, values))
        for layer, values in staged:
            layer.set_weights(values)

    # ----- compile ----------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None,
                weighted_metrics=None, run_eagerly=None, steps_per_execution=None,
                jit_compile=None, **kwargs):
        """Choose the optimizer, the loss and the metrics; names become objects here.

        Args:
            optimizer: name ('adam'), class or instance (default 'rmsprop', as Keras).
            loss: name, class (``BinaryCrossentropy``), instance or function.
            metrics: list of names ('accuracy'), classes, instances or functions.
            run_eagerly, jit_compile, steps_per_execution: accepted for compatibility;
                glassnet always runs eagerly.

        Example:
            >>> import glassnet as tf
            >>> from glassnet.keras import Sequential
            >>> from glassnet.keras.layers import Dense
            >>> model = Sequential([Dense(1, activation="sigmoid")])
            >>> model.compile(loss=tf.keras.losses.BinaryCrossentropy(), optimizer=tf.keras.optimizers.Adam(0.01))
        """
        if kwargs:
            raise TypeError(f"compile() got unexpected keyword arguments {sorted(kwargs)}")
        if loss_weights is not None and not isinstance(loss_weights, (int, float)):
            raise ValueError("loss_weights applies to multi-output models, which glassnet does not have yet.")
        if loss is None:
            raise ValueError("compile() needs a loss, e.g. loss='mse' or loss=BinaryCrossentropy(). "
                             "Received: loss=None")
        # resolve everything first, so a bad name leaves the model as it was
        resolved_optimizer = optimizers_module.get(optimizer)
        resolved_loss = losses_module.get(loss)
        if metrics is None:
            metrics = []
        elif isinstance(metrics, (str, dict)) or not isinstance(metrics, (list, tuple)):
            metrics = [metrics]
        identifiers = list(metrics) + list(weighted_metrics or [])
        for identifier in identifiers:  # fail early on unknown names
            if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
                continue
            metrics_module.get(identifier)
        self.optimizer, self.loss, self._metric_identifiers = resolved_optimizer, resolved_loss, identifiers
        self.compiled_metrics = []
        self._metrics_ready = False
        warn_about_output_and_loss(self.layers, self.loss)

    def require_compiled(self, what: str) -> None:
        if self.loss is None or self.optimizer is None:
            raise RuntimeError(
                f"You must call compile() before {what}(), e.g. model.compile(loss='mse', optimizer='adam')."
            )

    # ----- metrics --------------------------------------------------------------------
    def prepare_metrics(self, y, x_sample) -> None:
        """Resolve 'accuracy' and friends once the label and output shapes are known."""
        if self._metrics_ready:
            return
        out_shape = self._sample_output_shape(x_sample)
        resolved = []
        for identifier in self._metric_identifiers:
            if isinstance(identifier, str) and identifier.lower() in ("accuracy", "acc"):
                resolved.append(metrics_module.resolve_accuracy(identifier, self.loss, y.shape, out_shape))
            else:
                resolved.append(metrics_module.get(identifier))
        self.compiled_metrics = resolved
        self._metrics_ready = True

    def check_targets(self, y, x_sample, argument="y") -> None:
        """Check all the targets against the loss and the output shape once, before any step,
        so a bad label in a late batch cannot stop ``fit`` half-way (the loss's
        ``check_targets``; custom loss functions are not checked)."""
        check = getattr(self.loss, "check_targets", None)
        if check is None:
            return
        out_shape = self._sample_output_shape(x_sample)
        try:
            check(y, (len(y),) + out_shape[1:])
        except ValueError as err:
            raise ValueError(f"{argument}: {err}") from None

    def _sample_output_shape(self, x_sample) -> tuple:
        """The model's output shape for ``x_sample`` (a batch of one), from a forward pass.
        Remembered, by the sample's shape and dtype, for as long as the recorded steps are
        (:meth:`refresh_step_plans`, which ``fit`` and ``evaluate`` call first, forgets both
        when a layer's settings change): calling ``fit`` once per epoch then runs no extra
        forward pass per call (60 us on the course's small models)."""
        key = (x_sample.shape, x_sample.dtype)
        known = self._plans_fingerprint is not None
        if known and key in self._output_shapes:
            return self._output_shapes[key]
        with no_grad():
            out_shape = tuple(self(x_sample, training=False).shape)
        if known:
            self._output_shapes[key] = out_shape
        return out_shape

    def cast_targets(self, y):
        """``y`` in the dtype the loss reads it in, converted once for a whole ``fit`` rather
        than on every batch (where the copy would also keep the step from being replayed):
        the model's float dtype for binary, categorical and regression losses, int64 for
        sparse labels given as whole floats (``check_targets`` has checked them)."""
        kind = getattr(self.loss, "target_kind", None)
        if type(y) is not np.ndarray:
            return y
        if kind in ("binary", "categorical", "regression") and y.dtype.kind in "biuf":
            dtype = np.dtype(self.input_dtype)
            return y if y.dtype == dtype else y.astype(dtype)
        if kind == "sparse" and y.dtype.kind in "fb":
            return y.astype(np.int64)
        return y

    def update_metrics(self, y, y_pred, sample_weight=None) -> None:
        for metric in self.compiled_metrics:
            metric.update_state(y, y_pred, sample_weight=sample_weight)

    def reset_metrics(self) -> None:
        for metric in self.compiled_metrics:
            metric.reset_state()

    @property
    def metrics_names(self) -> list:
        return ["loss"] + [m.name for m in self.compiled_metrics]

    # ----- one step -------------------------------------------------------------------
    def train_step(self, x, y, sample_weight=None):
        """One gradient step on a batch; returns (loss as a float, predictions as an array).

        Raises:
            NonFiniteError: (a FloatingPointError) when ``check_finite_steps`` is set and
                the loss or a gradient is NaN or Inf; the update is then not applied, so
                the weights and optimizer state are unchanged (see
                :mod:`glassnet.training.numerics`).
        """
        variables = self.trainable_weights
        readable = variables + self.non_trainable_weights
        key = self._plan_prefix(readable) + _batch_signature(x, y, sample_weight)
        plan = self._step_plans.get(key, False)
        if plan:  # the graph recorded on the first batch of this shape, replayed (autograd.replay)
            return self._replay_step(plan, (x, y, sample_weight), variables, readable)
        for variable in variables:
            variable.grad = None
        y_pred = self(x, training=True)
        loss = self.loss(y, y_pred, sample_weight=sample_weight)
        penalties = self.losses
        if penalties:
            loss = loss + sum(penalties[1:], penalties[0])
        if plan is False:  # first batch of this shape: record it (None: not replayable)
            self._step_plans[key] = self._record_step(loss, y_pred, (x, y, sample_weight), readable)
        loss.backward()
        return self._apply_step(float(loss.data), [v.grad for v in variables], variables, y_pred.data)

    def _plan_prefix(self, readable) -> tuple:
        """The part of a recorded step's key that fixes the model: layers, loss, weights
        (the rest is :func:`_batch_signature`)."""
        return (tuple(self.layers), self.loss, tuple(readable))

    def _replay_step(self, plan, feeds, variables, readable):
        """A recorded step run on new data; its gradients are kept on the variables, as
        a step through the graph leaves them, then applied."""
        loss_data, grads, y_pred_data = plan.run(feeds, readable)
        for variable, grad in zip(variables, grads):
            variable.grad = None if grad is None else _as_grad(grad, None)
        return self._apply_step(float(loss_data), grads, variables, y_pred_data)

    def _apply_step(self, value, grads, variables, y_pred_data):
        # checked before the update, so a bad step is never applied
        check = (lambda arrays: numerics.check_step(value, variables, arrays)) if self.check_finite_steps else None
        self.optimizer.apply(grads, variables, check=check)
        return value, y_pred_data

    def make_train_function(self):
        """Return ``step(x, y, sample_weight=None) -> (loss, predictions)``, one training
        step as :meth:`train_step` takes it, for the layers, weights, loss and optimizer
        as they are now; ``fit`` makes one per call, as Keras's ``make_train_function``
        does (so, as in Keras, a layer frozen or unfrozen during ``fit`` takes effect at
        the next ``fit``). Batches of a shape already recorded replay their step with
        none of the per-step lookups; others, and a subclass's own ``train_step``, go
        through :meth:`train_step`.

        Example:
            >>> import numpy as np
            >>> import glassnet as gn
            >>> model = gn.keras.Sequential([gn.keras.Input((2,)), gn.keras.layers.Dense(1)])
            >>> model.compile(loss="mse", optimizer="sgd")
            >>> step = model.make_train_function()
            >>> loss, predictions = step(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"))
            >>> predictions.shape
            (4, 1)
        """
        if type(self).train_step is not Model.train_step or "train_step" in vars(self):
            return self.train_step  # a train_step of the user's own is always called
        variables = self.trainable_weights
        readable = variables + self.non_trainable_weights
        prefix = self._plan_prefix(readable)
        plans, step_plans = {}, self._step_plans  # by batch shapes; the model's, by full key
        replay_step, train_step = self._replay_step, self.train_step

        def step(x, y, sample_weight=None):
            shapes = _batch_signature(x, y, sample_weight)
            plan = plans.get(shapes)
            if not plan:  # not yet recorded, or not replayable: the general step
                result = train_step(x, y, sample_weight)
                plans[shapes] = step_plans.get(prefix + shapes)
                return result
            return replay_step(plan, (x, y, sample_weight), variables, readable)

        return step

    def _record_step(self, loss, y_pred, feeds, readable):
        """A :class:`~glassnet.autograd.replay.StepPlan` of this step, or None when some
        layer or the loss keeps state outside its ops (or the graph reads an array the
        plan cannot name)."""
        if not (getattr(self.loss, "replayable", False) and all(layer.replayable for layer in self.layers)):
            return None
        return StepPlan.record(loss, feeds, readable, outputs=(y_pred,))

    @property
    def recorded_steps(self) -> dict:
        """The training steps recorded for replay, by input batch shape: each a
        :class:`~glassnet.autograd.replay.StepPlan` whose ``.source`` is the Python a step
        runs (after its first replay), or None where the model cannot be replayed.

        Example:
            >>> import numpy as np
            >>> import glassnet as gn
            >>> model = gn.keras.Sequential([gn.keras.Input((2,)), gn.keras.layers.Dense(1)])
            >>> model.compile(loss="mse", optimizer="sgd")
            >>> _ = model.fit(np.ones((8, 2)), np.ones(8), batch_size=4, epochs=2, verbose=0)
            >>> plan = model.recorded_steps[(4, 2)]
            >>> print(plan.source.splitlines()[0])
            def replay(feeds, variables):
        """
        return {key[3]: plan for key, plan in self._step_plans.items()}

    def clear_step_plans(self) -> None:
        """Forget the recorded training steps; the next step of each batch shape records anew."""
        self._step_plans = {}
        self._plans_fingerprint = None
        self._output_shapes = {}

    def refresh_step_plans(self) -> None:
        """Keep the recorded training steps only if no layer's or the loss's settings changed
        since they were recorded (``fit`` calls this first: a layer changed between two
        ``fit`` calls, say a new ``negative_slope``, is traced afresh, while calling ``fit``
        once per epoch does not trace every epoch)."""
        try:
            fingerprint = repr([layer.get_config() for layer in self.layers]
                               + [getattr(self.loss, "get_config", dict)()])
        except Exception:  # a layer that cannot describe itself: trace anew to be safe
            fingerprint = None
        if fingerprint is None or fingerprint != self._plans_fingerprint:
            self.clear_step_plans()
            self._plans_fingerprint = fingerprint

    def test_step(self, x, y, sample_weight=None):
        """The loss and predictions on a batch, with ``training=False`` and no graph."""
        with no_grad():
            y_pred = self(x, training=False)
            loss = self.loss(y, y_pred, sample_weight=sample_weight)
            penalties = self.losses
            if penalties:
                loss = loss + sum(penalties[1:], penalties[0])
        return float(loss.data), y_pred.data

    def predict_step(self, x):
        return self(x, training=False).numpy()

    # ----- seeing backpropagation ----------------------------------------------------
    def graph(self, x, y, expand=False, sample_weight=None):
        """Draw one training step on ``(x, y)`` grouped by layer, the loss at the right.

        Each layer is one box (``expand=True`` opens it into its ops) and each parameter's
        gradient norm labels its edge. See :func:`glassnet.viz.model_graph`.
        """
        from ..viz import model_graph  # floor 6, imported only when asked for

        return model_graph(self, x, y, expand=expand, sample_weight=sample_weight)

    def check_gradients(self, x, y, sample_weight=None, **kwargs):
        """Compare backprop with central finite differences for every weight, in float64.

        Prints the largest relative error per layer and returns the report
        (see :func:`glassnet.testing.check_model_gradients`).
        """
        from ..testing import check_model_gradients

        return check_model_gradients(self, x, y, sample_weight=sample_weight, **kwargs)

    # ----- saving (see glassnet.saving: Keras 3's file format, data only) -----------------
    def save(self, filepath, overwrite=True):
        """Save architecture, weights, compile settings and optimizer state to a ``.keras`` file."""
        from ..saving import save_model

        save_model(self, filepath, overwrite=overwrite)

    def save_weights(self, filepath, overwrite=True):
        """Save the weights (and optimizer state) to a Keras 3 ``.weights.h5`` file."""
        from ..saving import save_weights

        save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        """Load weights from a ``.weights.h5`` or ``.keras`` file (glassnet's or Keras 3's)."""
        from ..saving import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def to_json(self, **kwargs):
        """The model's Keras 3 config as a JSON string (``model_from_json`` reads it back)."""
        from ..saving import model_to_json

        return model_to_json(self, **kwargs)

    def get_compile_config(self):
        """``compile()``'s settings as Keras 3 saves them, or None if not compiled (or not savable)."""
        from ..saving.serialization import compile_config

        return compile_config(self.optimizer, self.loss, self._metric_identifiers)

    def compile_from_config(self, config):
        """Compile from :meth:`get_compile_config`'s output (class names checked against the allow-list)."""
        from ..saving.serialization import compile_arguments

        self.compile(**compile_arguments(config))

    # ----- the loops --------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, on_nonfinite=None):
        """Train for ``epochs`` passes over ``(x, y)`` in mini-batches (32 by default).

        Args:
            x: inputs, array-like of shape (n, ...); float64 is cast to float32.
            y: targets, (n,) or (n, k).
            batch_size: samples per gradient step (default 32).
            epochs: passes over the data (each a number of steps of gradient descent).
            verbose: 'auto' or 1 (progress bar), 2 (a line per epoch), 0 (silent).
            callbacks: list of :class:`glassnet.keras.callbacks.Callback`.
            validation_split: the last fraction of the data, held out for validation.
            validation_data: ``(x_val, y_val)`` to evaluate after each epoch.
            shuffle: reshuffle the training data every epoch.
            class_weight: dict mapping class index to a loss weight.
            sample_weight: per-sample loss weights, shape (n,).
            initial_epoch: the epoch to start counting from (to resume training).
            on_nonfinite: what to do at a batch whose loss or gradient is NaN or Inf
                (glassnet's option; Keras has none): 'raise' a ``NonFiniteError`` naming
                the epoch, the batch and the first layer that went non-finite; 'warn'
                and stop; or 'ignore' and train on, as Keras does. With 'raise' and 'warn'
                the faulty step is never applied, so the weights and optimizer state stay
                those after the last good step. Default None: 'raise', or 'ignore' when
                ``callbacks`` include ``TerminateOnNaN`` (which then decides, as in Keras).
                See :mod:`glassnet.training.numerics`.

        Returns:
            A ``History`` whose ``.history`` maps 'loss' (and metric and 'val_' keys) to
            per-epoch values.
        """
        return loop.fit(self, x, y, batch_size=batch_size, epochs=epochs, verbose=verbose,
                        callbacks=callbacks, validation_split=validation_split,
                        validation_data=validation_data, shuffle=shuffle, class_weight=class_weight,
                        sample_weight=sample_weight, initial_epoch=initial_epoch, on_nonfinite=on_nonfinite)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Return the loss (or ``[loss, *metrics]``, or a dict with ``return_dict``) on ``(x, y)``."""
        return loop.evaluate(self, x, y, batch_size=batch_size, verbose=verbose,
                             sample_weight=sample_weight, return_dict=return_dict)

    def predict(self, x, batch_size=None, verbose=0, steps=None, callbacks=None):
        """Return the outputs for ``x`` as a float32 NumPy array, computed in batches of 32."""
        return loop.predict(self, x, batch_size=batch_size, verbose=verbose)
