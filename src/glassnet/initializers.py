"""Weight initializers with Keras's names and defaults.

An initializer is called with a shape (and optionally a dtype) and returns a new
array. Random ones draw from the generator :func:`glassnet.random.set_seed` seeds,
unless given their own ``seed``.

Fans follow Keras: for a 2-D kernel (fan_in, fan_out) = shape; for a convolution
kernel (..., in_channels, out_channels) each is multiplied by the receptive field.

Example:
    >>> from glassnet import initializers
    >>> w = initializers.GlorotUniform(seed=0)((400, 25))
    >>> w.shape, w.dtype, bool(abs(w).max() <= (6 / 425) ** 0.5)
    ((400, 25), dtype('float32'), True)
"""

from __future__ import annotations

import math

import numpy as np

from . import backend

__all__ = [
    "Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Initializer",
    "LecunNormal", "LecunUniform", "Ones", "RandomNormal", "RandomUniform", "TruncatedNormal",
    "VarianceScaling", "Zeros", "get",
]


def compute_fans(shape) -> tuple[float, float]:
    """Return (fan_in, fan_out) of a weight of ``shape``, as Keras computes them."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1.0, 1.0
    if len(shape) == 1:
        return float(shape[0]), float(shape[0])
    receptive_field = math.prod(shape[:-2]) if len(shape) > 2 else 1
    return float(shape[-2] * receptive_field), float(shape[-1] * receptive_field)


class Initializer:
    """Base class: subclasses implement ``__call__(shape, dtype=None)`` and ``get_config``."""

    def __call__(self, shape, dtype=None):  # pragma: no cover - the contract
        raise NotImplementedError("Initializers implement __call__(shape, dtype=None).")

    def get_config(self) -> dict:
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        options = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({options})"


def _dtype(dtype):
    return np.dtype(dtype or backend.floatx())


class Zeros(Initializer):
    """All zeros (Keras's default bias initializer)."""

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, dtype=_dtype(dtype))


class Ones(Initializer):
    """All ones."""

    def __call__(self, shape, dtype=None):
        return np.ones(shape, dtype=_dtype(dtype))


class Constant(Initializer):
    """Every element equal to ``value``."""

    def __init__(self, value=0.0):
        self.value = float(value)

    def __call__(self, shape, dtype=None):
        return np.full(shape, self.value, dtype=_dtype(dtype))

    def get_config(self):
        return {"value": self.value}


class _Random(Initializer):
    """Shared seeding: a seed of its own gives a private stream, else the global one."""

    def __init__(self, seed=None):
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise TypeError(f"seed must be an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self._rng = np.random.default_rng(seed) if seed is not None else None

    def _generator(self):
        return self._rng if self._rng is not None else backend.rng()

    def get_config(self):
        return {"seed": self.seed}


class RandomUniform(_Random):
    """Uniform in [minval, maxval)."""

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        if not minval < maxval:
            raise ValueError(f"RandomUniform needs minval < maxval. Received: minval={minval}, maxval={maxval}")
        self.minval, self.maxval = float(minval), float(maxval)

    def __call__(self, shape, dtype=None):
        return self._generator().uniform(self.minval, self.maxval, shape).astype(_dtype(dtype))

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Random):
    """Normal with the given mean and standard deviation."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        if stddev < 0:
            raise ValueError(f"RandomNormal needs stddev >= 0. Received: stddev={stddev}")
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return self._generator().normal(self.mean, self.stddev, shape).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def _truncated_normal(rng, shape, stddev):
    """Normal samples redrawn until within two standard deviations, as Keras's are."""
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2
    return values * stddev


class TruncatedNormal(_Random):
    """Normal, with values beyond two standard deviations redrawn."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = float(mean), float(stddev)

    def __call__(self, shape, dtype=None):
        return (self.mean + _truncated_normal(self._generator(), shape, self.stddev)).astype(_dtype(dtype))

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class VarianceScaling(_Random):
    """Samples scaled to the weight's fans: variance = scale / n, n chosen by ``mode``.

    ``distribution`` is 'truncated_normal' (stddev corrected by 0.8796 for the truncation,
    as Keras does), 'untruncated_normal' or 'uniform' (limit sqrt(3 * variance)).
    """

    _MODES = ("fan_in", "fan_out", "fan_avg")
    _DISTRIBUTIONS = ("truncated_normal", "untruncated_normal", "uniform")

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0:
            raise ValueError(f"VarianceScaling needs scale > 0. Received: scale={scale}")
        if mode not in self._MODES:
            raise ValueError(f"mode must be one of {self._MODES}. Received: mode={mode!r}")
        if distribution not in self._DISTRIBUTIONS:
            raise ValueError(f"distribution must be one of {self._DISTRIBUTIONS}. Received: distribution={distribution!r}")
        self.scale, self.mode, self.distribution = float(scale), mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        variance = self.scale / max(1.0, n)
        rng = self._generator()
        if self.distribution == "uniform":
            limit = math.sqrt(3.0 * variance)
            values = rng.uniform(-limit, limit, shape)
        elif self.distribution == "untruncated_normal":
            values = rng.normal(0.0, math.sqrt(variance), shape)
        else:
            values = _truncated_normal(rng, shape, math.sqrt(variance) / 0.87962566103423978)
        return values.astype(_dtype(dtype))

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed}


def _preset(name, scale, mode, distribution, doc):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale, mode, distribution, seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config, "__doc__": doc})


GlorotUniform = _preset("GlorotUniform", 1.0, "fan_avg", "uniform",
                        "Uniform in ±sqrt(6 / (fan_in + fan_out)) (Keras's default kernel initializer).")
GlorotNormal = _preset("GlorotNormal", 1.0, "fan_avg", "truncated_normal",
                       "Truncated normal with stddev sqrt(2 / (fan_in + fan_out)).")
HeUniform = _preset("HeUniform", 2.0, "fan_in", "uniform", "Uniform in ±sqrt(6 / fan_in).")
HeNormal = _preset("HeNormal", 2.0, "fan_in", "truncated_normal", "Truncated normal with stddev sqrt(2 / fan_in).")
LecunUniform = _preset("LecunUniform", 1.0, "fan_in", "uniform", "Uniform in ±sqrt(3 / fan_in).")
LecunNormal = _preset("LecunNormal", 1.0, "fan_in", "truncated_normal", "Truncated normal with stddev sqrt(1 / fan_in).")

_BY_NAME = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_uniform": RandomUniform,
    "random_normal": RandomNormal, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal,
}


def get(identifier) -> Initializer:
    """Resolve an initializer from a name ('glorot_uniform'), a class, an instance or a callable."""
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if isinstance(identifier, dict):  # {'class_name': ..., 'config': ...} from a config file
        name, config = identifier.get("class_name"), identifier.get("config") or {}
        cls = next((c for c in _BY_NAME.values() if c.__name__ == name), None)
        if cls is None:
            raise ValueError(f"Unknown initializer class: {name!r}. Expected one of {sorted(c.__name__ for c in _BY_NAME.values())}.")
        return cls(**config)
    if isinstance(identifier, str):
        key = identifier if identifier in _BY_NAME else _snake(identifier)
        if key in _BY_NAME:
            return _BY_NAME[key]()
        raise ValueError(f"Unknown initializer: {identifier!r}. Expected one of {sorted(_BY_NAME)}.")
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier: {identifier!r}")


def serialize(initializer) -> dict:
    """Return ``{'class_name': ..., 'config': ...}`` for a config file."""
    return {"class_name": type(initializer).__name__, "config": initializer.get_config()}


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and not name[i - 1].isupper():
            out.append("_")
        out.append(ch.lower())
    return "".join(out)
