/* Max pooling over channels-last images. */

#include "kernels.h"

/* ----- max pooling, channels-last -------------------------------------------------------- */
/* Forward, as pooling.py's NumPy code: o = the window's first element, then for each later
   offset (row-major) o = maximum(o, x) with NumPy's rule (NaN wins; on a tie the later
   element, so +0 after -0 gives +0). Beside it, the offset of the window's first element
   equal to o (what backward's `view == out` finds first), -1 when o is NaN (nothing is). */
#define MAXPOOL_FORWARD(T)                                                                    \
    WIDE_LOOP static void maxpool_forward_##T(const T *restrict x, T *restrict out,            \
                                    int *restrict first, Py_ssize_t n, Py_ssize_t h,           \
                                    Py_ssize_t w, Py_ssize_t c, Py_ssize_t oh, Py_ssize_t ow,  \
                                    Py_ssize_t ph, Py_ssize_t pw, Py_ssize_t sh, Py_ssize_t sw) { \
        for (Py_ssize_t b = 0; b < n; b++)                                                    \
            for (Py_ssize_t i = 0; i < oh; i++)                                               \
                for (Py_ssize_t j = 0; j < ow; j++) {                                         \
                    const T *restrict corner = x + ((b * h + i * sh) * w + j * sw) * c;       \
                    T *restrict o = out + ((b * oh + i) * ow + j) * c;                        \
                    int *restrict f = first + ((b * oh + i) * ow + j) * c;                    \
                    for (Py_ssize_t ch = 0; ch < c; ch++) {                                   \
                        o[ch] = corner[ch];                                                   \
                        f[ch] = corner[ch] != corner[ch] ? -1 : 0;                            \
                    }                                                                         \
                    for (Py_ssize_t di = 0; di < ph; di++)                                    \
                        for (Py_ssize_t dj = di == 0; dj < pw; dj++) {                        \
                            const T *restrict src = corner + (di * w + dj) * c;               \
                            int k = (int)(di * pw + dj);                                      \
                            for (Py_ssize_t ch = 0; ch < c; ch++) { /* branch-free: SIMD */   \
                                T a = o[ch], v = src[ch];                                     \
                                int a_nan = a != a, v_nan = v != v;                           \
                                int keep_a = (a > v) | a_nan; /* NumPy's maximum */           \
                                int moved = (!a_nan) & (v_nan | (v > a));                     \
                                o[ch] = keep_a ? a : v;                                       \
                                f[ch] = moved ? (v_nan ? -1 : k) : f[ch];                     \
                            }                                                                 \
                        }                                                                     \
                }                                                                             \
    }

/* Backward into gx (zeros, the padded input's shape), as the NumPy code: offset by offset
   (row-major), each window's element at that offset gets g * (offset == first), the
   comparison a 1 or a 0 of g's type as NumPy multiplies by a bool (so g, or -0 for a
   negative g); written where windows do not overlap, added in offset order where they do,
   so every sum is formed in NumPy's order. A multiply, not a select: no branch to mispredict. */
#define MAXPOOL_BACKWARD(T)                                                                   \
    WIDE_LOOP static void maxpool_backward_##T(const T *restrict g, const int *restrict first,   \
                                     T *restrict gx, Py_ssize_t n,                             \
                                     Py_ssize_t h, Py_ssize_t w, Py_ssize_t c, Py_ssize_t oh,  \
                                     Py_ssize_t ow, Py_ssize_t ph, Py_ssize_t pw,              \
                                     Py_ssize_t sh, Py_ssize_t sw, int overlapping) {          \
        if (!overlapping) { /* row by row of gx, so the stores run along memory */          \
            for (Py_ssize_t b = 0; b < n; b++)                                                \
                for (Py_ssize_t i = 0; i < oh; i++)                                           \
                    for (Py_ssize_t di = 0; di < ph; di++) {                                  \
                        T *restrict row = gx + ((b * h + i * sh + di) * w) * c;               \
                        for (Py_ssize_t j = 0; j < ow; j++) {                                 \
                            const T *restrict gw = g + ((b * oh + i) * ow + j) * c;           \
                            const int *restrict fw = first + ((b * oh + i) * ow + j) * c;     \
                            for (Py_ssize_t dj = 0; dj < pw; dj++) {                          \
                                int k = (int)(di * pw + dj);                                  \
                                T *restrict target = row + (j * sw + dj) * c;                 \
                                _Pragma("GCC ivdep") /* rows never overlap: no checks */      \
                                for (Py_ssize_t ch = 0; ch < c; ch++)                         \
                                    target[ch] = gw[ch] * (T)(fw[ch] == k);                   \
                            }                                                                 \
                        }                                                                     \
                    }                                                                         \
            return;                                                                           \
        }                                                                                     \
        for (Py_ssize_t di = 0; di < ph; di++)                                                \
            for (Py_ssize_t dj = 0; dj < pw; dj++) {                                          \
                int k = (int)(di * pw + dj);                                                  \
                for (Py_ssize_t b = 0; b < n; b++)                                            \
                    for (Py_ssize_t i = 0; i < oh; i++)                                       \
                        for (Py_ssize_t j = 0; j < ow; j++) {                                 \
                            T *target = gx + ((b * h + i * sh + di) * w + j * sw + dj) * c;   \
                            Py_ssize_t at = ((b * oh + i) * ow + j) * c;                      \
                            _Pragma("GCC ivdep")                                              \
                            for (Py_ssize_t ch = 0; ch < c; ch++) {                           \
                                target[ch] += g[at + ch] * (T)(first[at + ch] == k);          \
                            }                                                                 \
                        }                                                                     \
            }                                                                                 \
    }

MAXPOOL_FORWARD(float)
MAXPOOL_FORWARD(double)
MAXPOOL_BACKWARD(float)
MAXPOOL_BACKWARD(double)

/* The window offsets that forward keeps for backward: a C-contiguous int32 buffer. */
static int get_ints(PyObject *obj, Py_buffer *view, int writable) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) {
        PyErr_SetString(PyExc_TypeError, "window offsets must be a C-contiguous int32 array");
        return -1;
    }
    const char *f = view->format;
    if (f && (f[0] == '<' || f[0] == '=' || f[0] == '@')) f++;
    if (!f || !(f[0] == 'i' && f[1] == '\0') || view->itemsize != 4) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "window offsets must be int32");
        return -1;
    }
    return 0;
}

/* Reads the geometry tuple (n, h, w, c, oh, ow, ph, pw, sh, sw) and checks it is sane. */
static int read_geometry(PyObject *tuple, Py_ssize_t *geometry) {
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != 10) {
        PyErr_SetString(PyExc_TypeError, "geometry must be a tuple of 10 ints");
        return -1;
    }
    for (int i = 0; i < 10; i++) {
        geometry[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, i));
        if (geometry[i] == -1 && PyErr_Occurred()) return -1;
        if (geometry[i] < (i >= 6 ? 1 : 0)) {
            PyErr_SetString(PyExc_ValueError, "geometry: sizes must be >= 0, windows and strides >= 1");
            return -1;
        }
    }
    Py_ssize_t h = geometry[1], w = geometry[2], oh = geometry[4], ow = geometry[5];
    if ((oh && (oh - 1) * geometry[8] + geometry[6] > h) || (ow && (ow - 1) * geometry[9] + geometry[7] > w)) {
        PyErr_SetString(PyExc_ValueError, "geometry: the windows reach outside the input");
        return -1;
    }
    return 0;
}

/* Both directions take (a float array read, a float array written, the window offsets,
   the geometry); forward reads x (n, h, w, c) and writes out, with `first`, (n, oh, ow, c);
   backward reads the gradient (n, oh, ow, c) and `first`, and adds into gx (n, h, w, c). */
static PyObject *maxpool2d(PyObject *const *args, Py_ssize_t nargs, int backward) {
    const char *name = backward ? "maxpool2d_backward()" : "maxpool2d_forward()";
    if (nargs != 4) {
        PyErr_Format(PyExc_TypeError, "%s takes 4 arguments", name);
        return NULL;
    }
    Py_ssize_t geo[10];
    if (read_geometry(args[3], geo) != 0) return NULL;
    PyObject *read = args[0], *written = args[backward ? 2 : 1], *offsets = args[backward ? 1 : 2];
    Py_buffer in, out, first;
    if (get_floats(read, &in, 0, backward ? "gradient" : "inputs") != 0) return NULL;
    if (get_floats(written, &out, 1, backward ? "input gradient" : "outputs") != 0) { PyBuffer_Release(&in); return NULL; }
    if (get_ints(offsets, &first, !backward) != 0) { PyBuffer_Release(&out); PyBuffer_Release(&in); return NULL; }
    Py_ssize_t n_image = geo[0] * geo[1] * geo[2] * geo[3], n_pooled = geo[0] * geo[4] * geo[5] * geo[3];
    Py_ssize_t n_in = backward ? n_pooled : n_image, n_out = backward ? n_image : n_pooled;
    Kind kind = kind_of(&in);
    PyObject *result = NULL;
    if (kind_of(&out) != kind || in.len != n_in * in.itemsize || out.len != n_out * out.itemsize ||
        first.len != n_pooled * 4) {
        PyErr_Format(PyExc_ValueError, "%s: arrays do not match the geometry", name);
    } else {
        int overlapping = geo[8] < geo[6] || geo[9] < geo[7];
        Py_BEGIN_ALLOW_THREADS
        if (!backward && kind == F32)
            maxpool_forward_float(in.buf, out.buf, first.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                  geo[6], geo[7], geo[8], geo[9]);
        else if (!backward)
            maxpool_forward_double(in.buf, out.buf, first.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                   geo[6], geo[7], geo[8], geo[9]);
        else if (kind == F32)
            maxpool_backward_float(in.buf, first.buf, out.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                   geo[6], geo[7], geo[8], geo[9], overlapping);
        else
            maxpool_backward_double(in.buf, first.buf, out.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                    geo[6], geo[7], geo[8], geo[9], overlapping);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&first);
    PyBuffer_Release(&out);
    PyBuffer_Release(&in);
    return result;
}

/* maxpool2d_forward(x, out, first, geometry): window maxima and each one's first offset. */
PyObject *gn_maxpool2d_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return maxpool2d(args, nargs, 0);
}

/* maxpool2d_backward(grad, first, gx, geometry): gx zeros shaped like the padded input. */
PyObject *gn_maxpool2d_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    return maxpool2d(args, nargs, 1);
}
