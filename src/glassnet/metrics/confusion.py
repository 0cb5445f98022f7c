"""Metrics from confusion counts at thresholds: Precision, Recall and AUC.

Each keeps the weighted true/false positives and negatives at its thresholds, over
every entry of every batch (one binary decision each), and computes its value from
those counts in ``result()``.
"""

from __future__ import annotations

import numpy as np

from ..backend import epsilon
from .base import Metric, align_weights, aligned_pair, to_numpy


# ----- confusion counts at thresholds: AUC, Precision, Recall -----------------------------
def _check_probabilities(y_pred, op):
    if y_pred.size and not (np.all(y_pred >= 0) and np.all(y_pred <= 1)):
        raise ValueError(
            f"{op}: predictions must be probabilities in [0, 1] (for logits pass "
            f"from_logits=True to AUC, or apply a sigmoid). Received: values from "
            f"{np.nanmin(y_pred)} to {np.nanmax(y_pred)}"
        )


def _confusion(y_true, y_pred, sample_weight, thresholds, op):
    """Weighted (tp, fp, fn, tn) at each threshold: a prediction counts positive when > threshold.

    All entries are flattened (one binary decision each). Each prediction is located
    among the sorted thresholds once (binary search) instead of compared with each.
    """
    y_true, y_pred = aligned_pair(y_true, y_pred, op)
    y_pred = y_pred.astype(np.float64, copy=False)
    _check_probabilities(y_pred, op)
    _, weights = align_weights(y_pred, sample_weight)
    positive = y_true.astype(bool).ravel()
    weights = weights.ravel()
    y_pred = y_pred.ravel()
    order = np.argsort(thresholds, kind="stable")
    sorted_thresholds = thresholds[order]
    # above[i]: how many sorted thresholds lie strictly below each prediction
    above = np.searchsorted(sorted_thresholds, y_pred, side="left")
    size = len(thresholds) + 1
    pos_hist = np.bincount(above, weights=weights * positive, minlength=size)
    neg_hist = np.bincount(above, weights=weights * ~positive, minlength=size)
    # predictions above sorted threshold i are those with above > i
    tp = pos_hist.sum() - np.cumsum(pos_hist)[:-1]
    fp = neg_hist.sum() - np.cumsum(neg_hist)[:-1]
    unsort = np.empty_like(order)
    unsort[order] = np.arange(len(order))
    tp, fp = tp[unsort], fp[unsort]
    return tp, fp, pos_hist.sum() - tp, neg_hist.sum() - fp  # tp, fp, fn, tn


def _divide(a, b):
    """a / b elementwise, 0 where b is 0 (Keras's divide_no_nan)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    safe = np.where(b == 0, 1.0, b)
    return np.where(b == 0, 0.0, a / safe)


class _ConfusionMetric(Metric):
    """Shared state of AUC, Precision and Recall: tp, fp, tn, fn at each threshold."""

    def _init_thresholds(self, thresholds):
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        self.reset_state()

    def reset_state(self) -> None:
        zeros = np.zeros(len(self.thresholds))
        self.true_positives, self.false_positives = zeros.copy(), zeros.copy()
        self.true_negatives, self.false_negatives = zeros.copy(), zeros.copy()

    def _prepare(self, y_true, y_pred):
        return y_true, y_pred

    def update_state(self, y_true, y_pred, sample_weight=None) -> None:
        y_true, y_pred = self._prepare(to_numpy(y_true), to_numpy(y_pred))
        tp, fp, fn, tn = _confusion(y_true, y_pred, sample_weight, self.thresholds, type(self).__name__)
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn
        self.true_negatives += tn


def _thresholds_argument(thresholds, default=0.5):
    """(array of thresholds, whether result() returns one float)."""
    if thresholds is None:
        return np.array([default]), True
    single = np.ndim(thresholds) == 0
    values = np.atleast_1d(np.asarray(thresholds, dtype=np.float64))
    if values.size == 0 or np.any((values < 0) | (values > 1)):
        raise ValueError(f"thresholds must be values in [0, 1]. Received: thresholds={thresholds!r}")
    return values, single


class Precision(_ConfusionMetric):
    """Precision tp / (tp + fp) of binary predictions, at one or several thresholds.

    A prediction counts as positive when it is greater than the threshold; targets
    count as positive when non-zero. 0 when nothing was predicted positive.

    Args:
        thresholds: a float or a list of floats in [0, 1]. Default None: 0.5. A list
            makes ``result()`` return a list.
        class_id: evaluate only this column of ``(n, C)`` targets and predictions. Default None.
        name: default 'precision'.
        dtype: see :class:`Metric`.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import Precision
        >>> Precision()(np.array([0, 1, 1, 1]), np.array([1.0, 1.0, 0.0, 0.0]))
        0.5
    """

    default_name = "precision"

    def __init__(self, thresholds=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        values, self._single = _thresholds_argument(thresholds)
        self.init_thresholds = thresholds
        self.class_id = class_id
        self._init_thresholds(values)

    def _prepare(self, y_true, y_pred):
        if self.class_id is None:
            return y_true, y_pred
        return y_true[..., self.class_id], y_pred[..., self.class_id]

    def _value(self):
        return _divide(self.true_positives, self.true_positives + self.false_positives)

    def result(self):
        values = self._value()
        return float(values[0]) if self._single else [float(v) for v in values]

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(thresholds=self.init_thresholds, class_id=self.class_id)
        return config


class Recall(Precision):
    """Recall tp / (tp + fn) of binary predictions, at one or several thresholds.

    Same arguments as :class:`Precision` (default name 'recall'); 0 when there were
    no positive targets.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import Recall
        >>> Recall()(np.array([0, 1, 1, 1]), np.array([1.0, 0.0, 1.0, 1.0]))
        0.6666666666666666
    """

    default_name = "recall"

    def _value(self):
        return _divide(self.true_positives, self.true_positives + self.false_negatives)


class AUC(_ConfusionMetric):
    """Area under the ROC or precision-recall curve, by a Riemann sum over fixed thresholds.

    Predictions are counted positive or negative at ``num_thresholds`` thresholds:
    (i + 1) / (num_thresholds - 1) for i < num_thresholds - 2, plus -eps and 1 + eps at
    the ends (eps = 1e-7) so every prediction in [0, 1] falls between them. From the
    counts: ROC plots recall against the false-positive rate fp / (fp + tn); PR plots
    precision against recall. ``summation_method``:

    * 'interpolation' (default): the trapezoid rule for ROC; for PR, Davis & Goadrich's
      interpolation, linear in the counts tp and tp + fp between thresholds rather
      than in precision, integrated exactly;
    * 'minoring' / 'majoring': the lower / upper of each step's two end heights.

    The result approaches the exact AUC as the thresholds get finer (within about
    1 / num_thresholds for predictions spread over [0, 1]).

    Args:
        num_thresholds: > 1. Default 200.
        curve: 'ROC' (default) or 'PR'.
        summation_method: 'interpolation' (default), 'minoring' or 'majoring'.
        name: default 'auc'.
        dtype: see :class:`Metric`.
        thresholds: explicit thresholds in [0, 1] (then ``num_thresholds`` is their
            count + 2, the ends -eps and 1 + eps being added). Default None.
        multi_label: only False (all entries pooled) is supported.
        from_logits: apply a sigmoid to the predictions first. Default False.

    Example:
        >>> import numpy as np
        >>> from glassnet.metrics import AUC
        >>> round(AUC()(np.array([0, 0, 1, 1]), np.array([0.1, 0.4, 0.35, 0.8])), 4)
        0.75
    """

    default_name = "auc"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation", name=None,
                 dtype=None, thresholds=None, multi_label=False, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        curve, method = str(curve).upper(), str(summation_method).lower()
        if curve not in ("ROC", "PR"):
            raise ValueError(f"curve must be 'ROC' or 'PR'. Received: curve={curve!r}")
        if method not in ("interpolation", "minoring", "majoring"):
            raise ValueError(
                "summation_method must be 'interpolation', 'minoring' or 'majoring'. "
                f"Received: summation_method={summation_method!r}"
            )
        if multi_label:
            raise ValueError("AUC: multi_label=True is not supported yet; every entry is pooled.")
        eps = epsilon()
        if thresholds is not None:
            inner, _ = _thresholds_argument(thresholds)
            inner = np.sort(inner)
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds, (int, np.integer)) \
                    or num_thresholds <= 1:
                raise ValueError(f"num_thresholds must be an integer > 1. Received: num_thresholds={num_thresholds!r}")
            inner = (np.arange(num_thresholds - 2) + 1) / (num_thresholds - 1)
        self.num_thresholds = len(inner) + 2
        self.curve, self.summation_method = curve, method
        self.from_logits = bool(from_logits)
        self._user_thresholds = None if thresholds is None else [float(t) for t in inner]
        self._init_thresholds(np.concatenate([[-eps], inner, [1.0 + eps]]))

    def _prepare(self, y_true, y_pred):
        if self.from_logits:
            y_pred = 0.5 * (1.0 + np.tanh(0.5 * y_pred.astype(np.float64)))  # sigmoid, never overflows
        return y_true, y_pred

    def _interpolated_pr(self):
        """Davis & Goadrich: precision follows tp / (tp + fp) with tp and tp + fp linear in between."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        d_tp = tp[:-1] - tp[1:]
        p = tp + fp
        d_p = p[:-1] - p[1:]
        slope = _divide(d_tp, np.maximum(d_p, 0))
        intercept = tp[1:] - slope * p[1:]
        both = (p[:-1] > 0) & (p[1:] > 0)
        ratio = np.where(both, _divide(p[:-1], np.maximum(p[1:], 0)), 1.0)
        return float(np.sum(_divide(slope * (d_tp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))))

    def result(self) -> float:
        tp, fp, tn, fn = self.true_positives, self.false_positives, self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolated_pr()
        recall = _divide(tp, tp + fn)
        if self.curve == "ROC":
            x, y = _divide(fp, fp + tn), recall
        else:
            x, y = recall, _divide(tp, tp + fp)
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2
        elif self.summation_method == "minoring":
            heights = np.minimum(y[:-1], y[1:])
        else:
            heights = np.maximum(y[:-1], y[1:])
        return float(np.sum((x[:-1] - x[1:]) * heights))  # x falls as the threshold rises

    def get_config(self) -> dict:
        config = super().get_config()
        config.update(num_thresholds=self.num_thresholds, curve=self.curve,
                      summation_method=self.summation_method, thresholds=self._user_thresholds,
                      from_logits=self.from_logits)
        return config
