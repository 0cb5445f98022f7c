/* Winograd's F(2x2, 3x3) transforms for a 3x3 convolution (glassnet/ops/winograd.py). */

#include "kernels.h"

/* Input: each 4x4 tile d of x bordered by `pad` zeros (tile (b, ti, tj) starts at row 2ti,
   column 2tj of the bordered image; rows and columns past it read as 0 too) becomes
   V = B^T d B, written to v[16][rows][c] at (4r + q, tile, channel). Each of the 16 planes
   holds `rows` >= tiles rows, so that the planes do not start 4 KiB apart (16 streams at
   such a stride share a few sets of the L1 cache: 8 images of the benchmark CNN's conv2
   took 430 us instead of 60). The operations, in winograd.py's NumPy order:
     t[0] = d[0] - d[2], t[1] = d[1] + d[2], t[2] = d[2] - d[1], t[3] = d[1] - d[3]  (rows)
   then the same four on the columns of t. */
#define WINOGRAD_INPUT(T)                                                                     \
    WIDE_LOOP static void winograd_input_##T(const T *restrict x, T *restrict v, const T *zeros, \
                                             const Py_ssize_t *geo) {                         \
        Py_ssize_t n = geo[0], h = geo[1], w = geo[2], c = geo[3], th = geo[4], tw = geo[5];   \
        Py_ssize_t plane = geo[6] * c, pad = geo[7];                                          \
        for (Py_ssize_t b = 0; b < n; b++)                                                    \
            for (Py_ssize_t ti = 0; ti < th; ti++)                                            \
                for (Py_ssize_t tj = 0; tj < tw; tj++) {                                      \
                    const T *d[16]; /* d[4r + s]: the tile's element (r, s), all channels */   \
                    for (int r = 0; r < 4; r++)                                               \
                        for (int s = 0; s < 4; s++) {                                         \
                            Py_ssize_t i = 2 * ti + r - pad, j = 2 * tj + s - pad;            \
                            d[4 * r + s] = (i >= 0 && i < h && j >= 0 && j < w) ? x + ((b * h + i) * w + j) * c : zeros; \
                        }                                                                     \
                    winograd_tile_in_##T(d, v + ((b * th + ti) * tw + tj) * c, plane, c);     \
                }                                                                             \
    }

/* One tile, all channels: t (rows of B^T d) per column s, then V's rows from t's. */
#define WINOGRAD_TILE_IN(T)                                                                   \
    static inline __attribute__((always_inline)) void winograd_tile_in_##T(const T **d, T *out, Py_ssize_t plane, Py_ssize_t c) { \
        const T *restrict d00 = d[0], *restrict d01 = d[1], *restrict d02 = d[2], *restrict d03 = d[3]; \
        const T *restrict d10 = d[4], *restrict d11 = d[5], *restrict d12 = d[6], *restrict d13 = d[7]; \
        const T *restrict d20 = d[8], *restrict d21 = d[9], *restrict d22 = d[10], *restrict d23 = d[11]; \
        const T *restrict d30 = d[12], *restrict d31 = d[13], *restrict d32 = d[14], *restrict d33 = d[15]; \
        T *restrict o0 = out, *restrict o1 = out + plane, *restrict o2 = out + 2 * plane;     \
        T *restrict o3 = out + 3 * plane, *restrict o4 = out + 4 * plane, *restrict o5 = out + 5 * plane; \
        T *restrict o6 = out + 6 * plane, *restrict o7 = out + 7 * plane, *restrict o8 = out + 8 * plane; \
        T *restrict o9 = out + 9 * plane, *restrict o10 = out + 10 * plane, *restrict o11 = out + 11 * plane; \
        T *restrict o12 = out + 12 * plane, *restrict o13 = out + 13 * plane;                 \
        T *restrict o14 = out + 14 * plane, *restrict o15 = out + 15 * plane;                 \
        _Pragma("GCC ivdep") /* the 16 planes and the tile never overlap */               \
        for (Py_ssize_t k = 0; k < c; k++) {                                                  \
            /* column s of t = B^T d: t0s = d0s - d2s, t1s = d1s + d2s, t2s = d2s - d1s, t3s = d1s - d3s */ \
            T t00 = d00[k] - d20[k], t10 = d10[k] + d20[k], t20 = d20[k] - d10[k], t30 = d10[k] - d30[k]; \
            T t01 = d01[k] - d21[k], t11 = d11[k] + d21[k], t21 = d21[k] - d11[k], t31 = d11[k] - d31[k]; \
            T t02 = d02[k] - d22[k], t12 = d12[k] + d22[k], t22 = d22[k] - d12[k], t32 = d12[k] - d32[k]; \
            T t03 = d03[k] - d23[k], t13 = d13[k] + d23[k], t23 = d23[k] - d13[k], t33 = d13[k] - d33[k]; \
            /* row r of V = t B: vr0 = tr0 - tr2, vr1 = tr1 + tr2, vr2 = tr2 - tr1, vr3 = tr1 - tr3 */ \
            o0[k] = t00 - t02; o1[k] = t01 + t02; o2[k] = t02 - t01; o3[k] = t01 - t03;        \
            o4[k] = t10 - t12; o5[k] = t11 + t12; o6[k] = t12 - t11; o7[k] = t11 - t13;        \
            o8[k] = t20 - t22; o9[k] = t21 + t22; o10[k] = t22 - t21; o11[k] = t21 - t23;      \
            o12[k] = t30 - t32; o13[k] = t31 + t32; o14[k] = t32 - t31; o15[k] = t31 - t33;    \
        }                                                                                     \
    }

/* Output: each tile's 16 products m[16][rows][f] (rows >= tiles, as above) become the 2x2
   outputs A^T M A,
     u[0] = (m[0] + m[1]) + m[2], u[1] = (m[1] - m[2]) - m[3]  (rows, then the columns of u)
   then + bias (when given) and, when relu, maximum(y, 0) with NumPy's rule (NaN stays,
   -0 -> +0). Outputs past (oh, ow) go to a sink, so the loop has no branch. */
#define WINOGRAD_TILE_OUT(T)                                                                  \
    static inline __attribute__((always_inline)) void winograd_tile_out_##T(                  \
            const T *in, Py_ssize_t plane, T **y, const T *restrict bias, Py_ssize_t f,       \
            const int has_bias, const int relu) {                                             \
        const T *restrict m0 = in, *restrict m1 = in + plane, *restrict m2 = in + 2 * plane;  \
        const T *restrict m3 = in + 3 * plane, *restrict m4 = in + 4 * plane;                 \
        const T *restrict m5 = in + 5 * plane, *restrict m6 = in + 6 * plane;                 \
        const T *restrict m7 = in + 7 * plane, *restrict m8 = in + 8 * plane;                 \
        const T *restrict m9 = in + 9 * plane, *restrict m10 = in + 10 * plane;               \
        const T *restrict m11 = in + 11 * plane, *restrict m12 = in + 12 * plane;             \
        const T *restrict m13 = in + 13 * plane, *restrict m14 = in + 14 * plane;             \
        const T *restrict m15 = in + 15 * plane;                                              \
        T *restrict y00 = y[0], *restrict y01 = y[1], *restrict y10 = y[2], *restrict y11 = y[3]; \
        _Pragma("GCC ivdep") /* the planes and the outputs never overlap */                \
        for (Py_ssize_t k = 0; k < f; k++) {                                                  \
            /* m[4r + s] is M's (r, s); u's rows from M's columns */                          \
            T u00 = (m0[k] + m4[k]) + m8[k], u10 = (m4[k] - m8[k]) - m12[k];                  \
            T u01 = (m1[k] + m5[k]) + m9[k], u11 = (m5[k] - m9[k]) - m13[k];                  \
            T u02 = (m2[k] + m6[k]) + m10[k], u12 = (m6[k] - m10[k]) - m14[k];                \
            T u03 = (m3[k] + m7[k]) + m11[k], u13 = (m7[k] - m11[k]) - m15[k];                \
            T a = (u00 + u01) + u02, b = (u01 - u02) - u03;                                   \
            T c = (u10 + u11) + u12, e = (u11 - u12) - u13;                                   \
            if (has_bias) { a = a + bias[k]; b = b + bias[k]; c = c + bias[k]; e = e + bias[k]; } \
            if (relu) {                                                                       \
                a = (a > (T)0 || a != a) ? a : (T)0;                                          \
                b = (b > (T)0 || b != b) ? b : (T)0;                                          \
                c = (c > (T)0 || c != c) ? c : (T)0;                                          \
                e = (e > (T)0 || e != e) ? e : (T)0;                                          \
            }                                                                                 \
            y00[k] = a; y01[k] = b; y10[k] = c; y11[k] = e;                                   \
        }                                                                                     \
    }

#define WINOGRAD_OUTPUT(T)                                                                    \
    WIDE_LOOP static void winograd_output_##T(const T *restrict m, T *restrict y,              \
                                              const T *restrict bias, int relu, T *sink,      \
                                              const Py_ssize_t *geo) {                        \
        Py_ssize_t n = geo[0], oh = geo[1], ow = geo[2], f = geo[3], th = geo[4], tw = geo[5]; \
        Py_ssize_t plane = geo[6] * f;                                                        \
        for (Py_ssize_t b = 0; b < n; b++)                                                    \
            for (Py_ssize_t ti = 0; ti < th; ti++)                                            \
                for (Py_ssize_t tj = 0; tj < tw; tj++) {                                      \
                    const T *in = m + ((b * th + ti) * tw + tj) * f;                          \
                    T *rows[4]; /* the tile's outputs (0, 0), (0, 1), (1, 0), (1, 1) */        \
                    for (int i = 0; i < 2; i++)                                               \
                        for (int j = 0; j < 2; j++) {                                         \
                            Py_ssize_t r = 2 * ti + i, s = 2 * tj + j;                        \
                            rows[2 * i + j] = (r < oh && s < ow) ? y + ((b * oh + r) * ow + s) * f : sink + (2 * i + j) * f; \
                        }                                                                     \
                    if (bias && relu) winograd_tile_out_##T(in, plane, rows, bias, f, 1, 1);  \
                    else if (bias) winograd_tile_out_##T(in, plane, rows, bias, f, 1, 0);     \
                    else if (relu) winograd_tile_out_##T(in, plane, rows, bias, f, 0, 1);     \
                    else winograd_tile_out_##T(in, plane, rows, bias, f, 0, 0);               \
                }                                                                             \
    }

/* The kernel's gradient needs the adjoint of the output transform: each tile's 2x2 output
   gradient g (outputs past (oh, ow) read as 0) becomes Z = A g A^T, written to
   z[16][rows][f] at (4r + s, tile, filter). With w the rows of A g,
     w0 = (g00, g01), w1 = (g00 + g10, g01 + g11), w2 = (g00 - g10, g01 - g11), w3 = (-g10, -g11),
   Z's row r is (wr0, wr0 + wr1, wr0 - wr1, -wr1), as winograd.py's NumPy code forms it. */
#define WINOGRAD_GRADIENT(T)                                                                  \
    WIDE_LOOP static void winograd_gradient_##T(const T *restrict g, T *restrict z, const T *zeros, \
                                                const Py_ssize_t *geo) {                      \
        Py_ssize_t n = geo[0], oh = geo[1], ow = geo[2], f = geo[3], th = geo[4], tw = geo[5]; \
        Py_ssize_t plane = geo[6] * f;                                                        \
        for (Py_ssize_t b = 0; b < n; b++)                                                    \
            for (Py_ssize_t ti = 0; ti < th; ti++)                                            \
                for (Py_ssize_t tj = 0; tj < tw; tj++) {                                      \
                    const T *at[4]; /* the tile's outputs (0, 0), (0, 1), (1, 0), (1, 1) */    \
                    for (int i = 0; i < 2; i++)                                               \
                        for (int j = 0; j < 2; j++) {                                         \
                            Py_ssize_t r = 2 * ti + i, s = 2 * tj + j;                        \
                            at[2 * i + j] = (r < oh && s < ow) ? g + ((b * oh + r) * ow + s) * f : zeros; \
                        }                                                                     \
                    const T *restrict g00 = at[0], *restrict g01 = at[1], *restrict g10 = at[2], *restrict g11 = at[3]; \
                    T *out = z + ((b * th + ti) * tw + tj) * f;                                \
                    T *restrict o0 = out, *restrict o1 = out + plane, *restrict o2 = out + 2 * plane; \
                    T *restrict o3 = out + 3 * plane, *restrict o4 = out + 4 * plane;         \
                    T *restrict o5 = out + 5 * plane, *restrict o6 = out + 6 * plane;         \
                    T *restrict o7 = out + 7 * plane, *restrict o8 = out + 8 * plane;         \
                    T *restrict o9 = out + 9 * plane, *restrict o10 = out + 10 * plane;       \
                    T *restrict o11 = out + 11 * plane, *restrict o12 = out + 12 * plane;     \
                    T *restrict o13 = out + 13 * plane, *restrict o14 = out + 14 * plane;     \
                    T *restrict o15 = out + 15 * plane;                                       \
                    _Pragma("GCC ivdep") /* the planes and the gradient never overlap */      \
                    for (Py_ssize_t k = 0; k < f; k++) {                                      \
                        T w00 = g00[k], w01 = g01[k];                                         \
                        T w10 = g00[k] + g10[k], w11 = g01[k] + g11[k];                       \
                        T w20 = g00[k] - g10[k], w21 = g01[k] - g11[k];                       \
                        T w30 = -g10[k], w31 = -g11[k];                                       \
                        o0[k] = w00; o1[k] = w00 + w01; o2[k] = w00 - w01; o3[k] = -w01;      \
                        o4[k] = w10; o5[k] = w10 + w11; o6[k] = w10 - w11; o7[k] = -w11;      \
                        o8[k] = w20; o9[k] = w20 + w21; o10[k] = w20 - w21; o11[k] = -w21;    \
                        o12[k] = w30; o13[k] = w30 + w31; o14[k] = w30 - w31; o15[k] = -w31;  \
                    }                                                                         \
                }                                                                             \
    }

WINOGRAD_TILE_IN(float)
WINOGRAD_TILE_IN(double)
WINOGRAD_TILE_OUT(float)
WINOGRAD_TILE_OUT(double)
WINOGRAD_INPUT(float)
WINOGRAD_INPUT(double)
WINOGRAD_OUTPUT(float)
WINOGRAD_OUTPUT(double)
WINOGRAD_GRADIENT(float)
WINOGRAD_GRADIENT(double)

/* Reads a geometry tuple of `count` sizes: the batch >= 0, then sizes >= 1, the seventh the
   rows of a plane (at least the tiles), an eighth (the input's border) >= 0. */
static int read_geometry(PyObject *tuple, Py_ssize_t *geo, Py_ssize_t count, const char *name) {
    if (!PyTuple_Check(tuple) || PyTuple_GET_SIZE(tuple) != count) {
        PyErr_Format(PyExc_TypeError, "%s: the geometry must be a tuple of %zd ints", name, count);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        geo[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(tuple, i));
        if (geo[i] == -1 && PyErr_Occurred()) return -1;
        if (geo[i] < ((i == 0 || i == 7) ? 0 : 1)) {
            PyErr_Format(PyExc_ValueError, "%s: sizes must be >= 1 (the batch >= 0)", name);
            return -1;
        }
    }
    if (geo[6] < geo[0] * geo[4] * geo[5]) {
        PyErr_Format(PyExc_ValueError, "%s: a plane has fewer rows than there are tiles", name);
        return -1;
    }
    return 0;
}

/* What winograd_input and winograd_gradient share: an array read, 16 planes written (each
   of geometry[6] rows of geometry[3] numbers), the caller's verdict on whether the tiles
   fit, and the typed kernels, given a row of zeros for what lies outside. */
typedef void (*planes_float)(const float *, float *, const float *, const Py_ssize_t *);
typedef void (*planes_double)(const double *, double *, const double *, const Py_ssize_t *);

static PyObject *to_planes(PyObject *const *args, const char *name,
                           const char *source, const char *target, int reach_ok, const char *reach_error,
                           planes_float run_float, planes_double run_double, Py_ssize_t *geo) {
    if (!reach_ok) {
        PyErr_Format(PyExc_ValueError, "%s: %s", name, reach_error);
        return NULL;
    }
    Py_buffer in, out;
    if (get_floats(args[0], &in, 0, source) != 0) return NULL;
    if (get_floats(args[1], &out, 1, target) != 0) { PyBuffer_Release(&in); return NULL; }
    Kind kind = kind_of(&in);
    PyObject *result = NULL;
    if (check_matrix(&in, kind, geo[0] * geo[1] * geo[2] * geo[3], name) == 0 &&
        check_matrix(&out, kind, 16 * geo[6] * geo[3], name) == 0) {
        void *zeros = PyMem_RawCalloc((size_t)geo[3], (size_t)in.itemsize);
        if (zeros == NULL) {
            PyErr_NoMemory();
        } else {
            Py_BEGIN_ALLOW_THREADS
            if (kind == F32) run_float(in.buf, out.buf, zeros, geo);
            else run_double(in.buf, out.buf, zeros, geo);
            Py_END_ALLOW_THREADS
            PyMem_RawFree(zeros);
            result = Py_None;
            Py_INCREF(result);
        }
    }
    PyBuffer_Release(&out);
    PyBuffer_Release(&in);
    return result;
}

/* winograd_input(x, v, geometry): x (n, h, w, c); v (16, rows, c), written;
   geometry (n, h, w, c, th, tw, rows, pad), the tiles reaching at most one row and column
   past x bordered by pad zeros. */
PyObject *gn_winograd_input(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t geo[8];
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "winograd_input(x, v, geometry)");
        return NULL;
    }
    if (read_geometry(args[2], geo, 8, "winograd_input()") != 0) return NULL;
    int reach_ok = 2 * geo[4] + 2 <= geo[1] + 2 * geo[7] + 1 && 2 * geo[5] + 2 <= geo[2] + 2 * geo[7] + 1;
    return to_planes(args, "winograd_input()", "input", "transformed input", reach_ok,
                     "the tiles reach past the input by more than one", winograd_input_float,
                     winograd_input_double, geo);
}

/* winograd_output(m, y, bias or None, relu, geometry): m (16, rows, f); y (n, oh, ow, f),
   written; bias (f,); geometry (n, oh, ow, f, th, tw, rows), the tiles covering y. */
PyObject *gn_winograd_output(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    const char *name = "winograd_output()";
    Py_ssize_t geo[7];
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "winograd_output(m, y, bias, relu, geometry)");
        return NULL;
    }
    if (read_geometry(args[4], geo, 7, name) != 0) return NULL;
    if (2 * geo[4] < geo[1] || 2 * geo[5] < geo[2]) {
        PyErr_SetString(PyExc_ValueError, "winograd_output(): the tiles do not cover the output");
        return NULL;
    }
    int relu = PyObject_IsTrue(args[3]);
    if (relu < 0) return NULL;
    int have_bias = args[2] != Py_None;
    Py_buffer m, y, bias;
    if (get_floats(args[0], &m, 0, "products") != 0) return NULL;
    if (get_floats(args[1], &y, 1, "output") != 0) { PyBuffer_Release(&m); return NULL; }
    if (have_bias && get_floats(args[2], &bias, 0, "bias") != 0) {
        PyBuffer_Release(&y);
        PyBuffer_Release(&m);
        return NULL;
    }
    Kind kind = kind_of(&m);
    PyObject *result = NULL;
    if (check_matrix(&m, kind, 16 * geo[6] * geo[3], "winograd_output(): the products") == 0 &&
        check_matrix(&y, kind, geo[0] * geo[1] * geo[2] * geo[3], "winograd_output(): the output") == 0 &&
        (!have_bias || check_matrix(&bias, kind, geo[3], "winograd_output(): the bias") == 0)) {
        const void *b = have_bias ? bias.buf : NULL;
        void *sink = PyMem_RawMalloc((size_t)(4 * geo[3]) * (size_t)m.itemsize); /* outputs past the edge */
        if (sink == NULL) {
            PyErr_NoMemory();
        } else {
            Py_BEGIN_ALLOW_THREADS
            if (kind == F32) winograd_output_float(m.buf, y.buf, b, relu, sink, geo);
            else winograd_output_double(m.buf, y.buf, b, relu, sink, geo);
            Py_END_ALLOW_THREADS
            PyMem_RawFree(sink);
            result = Py_None;
            Py_INCREF(result);
        }
    }
    if (have_bias) PyBuffer_Release(&bias);
    PyBuffer_Release(&y);
    PyBuffer_Release(&m);
    return result;
}

/* winograd_gradient(g, z, geometry): g (n, oh, ow, f), an output's gradient; z (16, rows, f),
   written; geometry (n, oh, ow, f, th, tw, rows), the tiles covering g. */
PyObject *gn_winograd_gradient(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t geo[7];
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "winograd_gradient(g, z, geometry)");
        return NULL;
    }
    if (read_geometry(args[2], geo, 7, "winograd_gradient()") != 0) return NULL;
    int reach_ok = 2 * geo[4] >= geo[1] && 2 * geo[5] >= geo[2];
    return to_planes(args, "winograd_gradient()", "gradient", "transformed gradient", reach_ok,
                     "the tiles do not cover the gradient", winograd_gradient_float, winograd_gradient_double, geo);
}
