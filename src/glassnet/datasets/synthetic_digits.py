"""Synthetic handwritten-looking digits, drawn procedurally: an offline stand-in for MNIST.

Each digit 0-9 is a few pen strokes (line segments and elliptical arcs) in a unit box,
with a couple of variants per digit (a 1 with or without its flag, a 7 with or without
a crossbar, an open or closed 4, ...). Every image gets its own pen path: the stroke
vertices are bent by a smooth random displacement field, then the whole digit goes
through a random affine map (rotation, anisotropic scale, shear, translation) and is
drawn with a random pen width. Rasterisation is anti-aliased: each pixel's ink is a
smooth ramp of its distance to the nearest stroke segment. A little Gaussian noise is
added and the result is clipped to [0, 1].

Everything comes from one ``numpy.random.default_rng(seed)``, so the same seed gives
bit-identical arrays.

Example:
    >>> from glassnet.datasets import synthetic_digits
    >>> (x_train, y_train), (x_test, y_test) = synthetic_digits.load_data(n_samples=100)
    >>> x_train.shape, x_train.dtype, y_train.dtype
    ((80, 20, 20), dtype('float32'), dtype('uint8'))
    >>> x_test.shape
    (20, 20, 20)
    >>> [int(c) for c in np.bincount(y_train)]
    [8, 8, 8, 8, 8, 8, 8, 8, 8, 8]
"""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["load_data"]

# ----- the pen strokes ------------------------------------------------------------------
# Unit box: x grows to the right, y grows downwards (image convention). Arc angles are in
# degrees, measured counter-clockwise as seen on screen (90 is the top of the ellipse).


def _line(*points):
    return np.asarray(points, dtype=np.float64)


def _arc(cx, cy, rx, ry, start, stop, step=30.0):
    n = max(2, int(np.ceil(abs(stop - start) / step)) + 1)
    theta = np.radians(np.linspace(start, stop, n))
    return np.stack([cx + rx * np.cos(theta), cy - ry * np.sin(theta)], axis=1)


# digit -> variants -> strokes (each stroke a polyline of vertices)
_DIGITS = {
    0: [
        [_arc(0.5, 0.5, 0.25, 0.38, 100, 460)],
    ],
    1: [
        [_line((0.52, 0.1), (0.48, 0.9))],
        [_line((0.34, 0.27), (0.53, 0.1), (0.49, 0.9))],
        [_line((0.34, 0.27), (0.53, 0.1), (0.49, 0.88)), _line((0.33, 0.89), (0.66, 0.88))],
    ],
    2: [
        [np.concatenate([_arc(0.5, 0.32, 0.24, 0.22, 160, -40), _line((0.24, 0.88), (0.78, 0.88))])],
        [np.concatenate([_arc(0.5, 0.3, 0.23, 0.2, 170, -30),
                         _arc(0.7, 0.9, 0.45, 0.45, 95, 165, step=20), _line((0.78, 0.86))])],
    ],
    3: [
        [_arc(0.48, 0.3, 0.22, 0.2, 150, -90), _arc(0.48, 0.69, 0.25, 0.21, 90, -150)],
        [_line((0.25, 0.12), (0.72, 0.12), (0.45, 0.45)), _arc(0.47, 0.68, 0.26, 0.23, 100, -150)],
    ],
    4: [
        [_line((0.6, 0.1), (0.22, 0.64), (0.8, 0.64)), _line((0.63, 0.32), (0.63, 0.9))],
        [_line((0.3, 0.1), (0.25, 0.58), (0.8, 0.58)), _line((0.66, 0.14), (0.64, 0.9))],
    ],
    5: [
        [_line((0.74, 0.1), (0.33, 0.1), (0.3, 0.47)), _arc(0.48, 0.67, 0.26, 0.22, 130, -150)],
        [np.concatenate([_line((0.74, 0.1), (0.33, 0.1)), _arc(0.48, 0.67, 0.27, 0.24, 140, -150)])],
    ],
    6: [
        [np.concatenate([_arc(0.64, 0.62, 0.38, 0.52, 105, 190, step=20),
                         _arc(0.5, 0.68, 0.24, 0.2, 190, 540)])],
    ],
    7: [
        [_line((0.22, 0.12), (0.78, 0.12), (0.42, 0.9))],
        [_line((0.22, 0.12), (0.78, 0.12), (0.42, 0.9)), _line((0.38, 0.52), (0.72, 0.5))],
    ],
    8: [
        [_arc(0.5, 0.3, 0.2, 0.19, 0, 360), _arc(0.5, 0.69, 0.25, 0.21, 0, 360)],
        [np.concatenate([_arc(0.5, 0.3, 0.2, 0.19, -60, 240), _line((0.73, 0.8)),
                         _arc(0.5, 0.71, 0.24, 0.19, -20, -300), _line((0.6, 0.46))])],
    ],
    9: [
        [_arc(0.5, 0.32, 0.23, 0.21, 0, 360), _line((0.73, 0.3), (0.66, 0.9))],
        [np.concatenate([_arc(0.5, 0.32, 0.23, 0.21, -10, 355), _arc(0.2, 0.3, 0.53, 0.6, 0, -70, step=20)])],
    ],
}


def _build_table():
    """Flatten the stroke table into padded vertex and segment arrays, one row per variant."""
    variants, vertices, segments = [], [], []
    for digit, forms in _DIGITS.items():
        for strokes in forms:
            v, s, offset = [], [], 0
            for polyline in strokes:
                m = len(polyline)
                v.append(polyline)
                s.extend((offset + i, offset + i + 1) for i in range(m - 1))
                offset += m
            variants.append(digit)
            vertices.append(np.concatenate(v))
            segments.append(np.asarray(s))
    n_vertices = max(len(v) for v in vertices)
    n_segments = max(len(s) for s in segments)
    # Pad by repeating the first vertex / segment: a duplicate segment draws nothing new.
    vertices = np.stack([np.concatenate([v, np.repeat(v[:1], n_vertices - len(v), 0)]) for v in vertices])
    segments = np.stack([np.concatenate([s, np.repeat(s[:1], n_segments - len(s), 0)]) for s in segments])
    return np.asarray(variants), vertices, segments


_VARIANT_DIGIT, _VERTICES, _SEGMENTS = _build_table()


# ----- rendering ------------------------------------------------------------------------
def _pen_paths(labels, size, rng):
    """Per image: choose a variant, bend and transform its strokes into pixel coordinates.

    Returns segment endpoints ``(n, K, 2, 2)`` (pixels; last axis x, y) and pen widths ``(n,)``.
    """
    n = len(labels)
    choice = np.empty(n, dtype=np.int64)
    for digit in range(10):
        rows = np.flatnonzero(labels == digit)
        options = np.flatnonzero(_VARIANT_DIGIT == digit)
        choice[rows] = options[rng.integers(0, len(options), size=len(rows))]
    v = _VERTICES[choice] - 0.5                                   # (n, M, 2), centred

    # A smooth random bend (two plane waves) plus a small wobble on each vertex.
    for _ in range(2):
        direction = rng.normal(size=(n, 1, 2))
        freq = rng.uniform(1.0, 2.5, size=(n, 1, 1)) * np.pi
        phase = rng.uniform(0, 2 * np.pi, size=(n, 1, 1))
        amp = rng.normal(0.0, 0.035, size=(n, 1, 2))
        v = v + amp * np.sin(freq * (v * direction).sum(-1, keepdims=True) + phase)
    v = v + rng.normal(0.0, 0.008, size=v.shape)

    # Affine map: shear, anisotropic scale, rotation (about the centre), then translation.
    angle = np.radians(rng.uniform(-15, 15, size=n))
    shear = rng.uniform(-0.25, 0.25, size=n)
    sx = rng.uniform(0.8, 1.1, size=n)
    sy = sx * rng.uniform(0.9, 1.1, size=n)
    cos, sin = np.cos(angle), np.sin(angle)
    a = np.empty((n, 2, 2))
    # rotation @ diag(sx, sy) @ [[1, shear], [0, 1]]   (x' = a @ x per image)
    a[:, 0, 0] = cos * sx
    a[:, 0, 1] = cos * sx * shear - sin * sy
    a[:, 1, 0] = sin * sx
    a[:, 1, 1] = sin * sx * shear + cos * sy
    scale = 0.85 * size
    shift = rng.uniform(-0.08, 0.08, size=(n, 1, 2)) * size
    v = np.einsum("nij,nmj->nmi", a, v) * scale + size / 2 + shift

    seg = np.take_along_axis(v[:, :, None, :], _SEGMENTS[choice][:, :, :, None], axis=1)
    width = rng.uniform(1.0, 2.3, size=n) * size / 20
    return seg, width


def _rasterize(seg, width, size, chunk=128):
    """Ink of each pixel: a 1-pixel smooth ramp of its distance to the nearest segment."""
    n = len(seg)
    centres = np.arange(size, dtype=np.float32) + 0.5
    out = np.empty((n, size, size), dtype=np.float32)
    seg = seg.astype(np.float32)
    for lo in range(0, n, chunk):
        s = seg[lo:lo + chunk]
        a, d = s[:, :, 0], s[:, :, 1] - s[:, :, 0]                # (c, K, 2)
        inv = 1.0 / np.maximum((d * d).sum(-1), 1e-12)            # (c, K)
        # Separable pieces: pixel column x and row y, relative to each segment's start.
        px = centres[None, None, None, :] - a[:, :, 0, None, None]  # (c, K, 1, S)
        py = centres[None, None, :, None] - a[:, :, 1, None, None]  # (c, K, S, 1)
        dx, dy = d[:, :, 0, None, None], d[:, :, 1, None, None]
        t = px * (dx * inv[..., None, None]) + py * (dy * inv[..., None, None])
        np.clip(t, 0.0, 1.0, out=t)                               # nearest point on the segment
        ex = px - t * dx
        ey = py - t * dy
        dist2 = (ex * ex + ey * ey).min(axis=1)                   # (c, S, S)
        edge = width[lo:lo + chunk, None, None].astype(np.float32) / 2 + 0.5 - np.sqrt(dist2)
        ink = np.clip(edge, 0.0, 1.0)
        out[lo:lo + chunk] = ink * ink * (3 - 2 * ink)            # smoothstep ramp
    return out


def _draw(labels, size, rng):
    seg, width = _pen_paths(labels, size, rng)
    images = _rasterize(seg, width, size)
    images *= rng.uniform(0.85, 1.0, size=(len(labels), 1, 1)).astype(np.float32)
    images += rng.normal(0.0, 0.04, size=images.shape).astype(np.float32)
    return np.clip(images, 0.0, 1.0, out=images)


def _balanced_labels(n, rng):
    labels = (np.arange(n) % 10).astype(np.uint8)
    return labels[rng.permutation(n)]


# ----- public ---------------------------------------------------------------------------
def load_data(n_samples=5000, image_size=20, test_fraction=0.2, seed=0):
    """Draw a balanced, shuffled set of synthetic digit images, split like ``mnist.load_data``.

    Args:
        n_samples: total number of images (train + test), at least 10.
        image_size: side of the square images in pixels (default 20), at least 8.
        test_fraction: share of the images kept for the test split, in [0, 1).
            Both splits are balanced: class counts differ by at most one.
        seed: seed of the ``numpy.random.default_rng`` that draws everything (default 0);
            the same seed gives bit-identical arrays. ``None`` draws fresh randomness.

    Returns:
        ``((x_train, y_train), (x_test, y_test))``: x float32 in [0, 1] of shape
        ``(n, image_size, image_size)`` (flatten them yourself for a Dense network),
        y uint8 labels 0-9 of shape ``(n,)``.

    Example:
        >>> (x, y), _ = load_data(n_samples=50, image_size=16, test_fraction=0.2, seed=3)
        >>> x.shape, float(x.min()) >= 0.0, float(x.max()) <= 1.0
        ((40, 16, 16), True, True)
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, numbers.Integral) or n_samples < 10:
        raise ValueError(f"`n_samples` must be an integer >= 10. Received: n_samples={n_samples!r}")
    if isinstance(image_size, bool) or not isinstance(image_size, numbers.Integral) or image_size < 8:
        raise ValueError(f"`image_size` must be an integer >= 8. Received: image_size={image_size!r}")
    if not isinstance(test_fraction, numbers.Real) or not 0.0 <= test_fraction < 1.0:
        raise ValueError("`test_fraction` must be a number in [0, 1). "
                         f"Received: test_fraction={test_fraction!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
        raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
    n_samples, image_size = int(n_samples), int(image_size)
    n_test = int(round(n_samples * test_fraction))
    n_train = n_samples - n_test
    rng = np.random.default_rng(seed)
    y_train = _balanced_labels(n_train, rng)
    y_test = _balanced_labels(n_test, rng)
    x = _draw(np.concatenate([y_train, y_test]), image_size, rng)
    return (x[:n_train], y_train), (x[n_train:], y_test)
