/* glassnet's compiled kernels: loops NumPy cannot fuse, for the hot path of a training step.

   Each kernel does, element by element and in the same order, exactly the float
   operations of the NumPy code it stands in for (see glassnet/kernels.py), so both give
   the same bits: built with -ffp-contract=off (no fused multiply-add) and without
   -ffast-math, every +, -, *, / and sqrt is one IEEE operation, rounded as NumPy rounds
   it (setup.py's -fno-math-errno and -fno-trapping-math only let loops vectorize: no
   result changes). Where NumPy's own code decides a result (its exp, log and tanh, its
   BLAS products, its pairwise sums) the kernels stay out. What they save is the passes
   over memory and the per-call cost of a dozen NumPy calls, not arithmetic.

   Arrays arrive through the buffer protocol (no NumPy headers needed to build); the
   Python side checks dtypes, shapes and contiguity before calling, and these functions
   check them again, cheaply, so a wrong call is an exception and never a bad write. */

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* Long loops get an AVX2 copy where the CPU has it, chosen at load time (GCC on Linux);
   the same operations, eight floats at a time instead of four: Adam over the wide MLP's
   1.86 M parameters takes 0.92 ms instead of 1.17. */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define WIDE_LOOP __attribute__((target_clones("avx2", "default")))
#else
#define WIDE_LOOP
#endif

typedef enum { F32, F64, OTHER } Kind;

static Kind kind_of(const Py_buffer *view) {
    const char *f = view->format;
    if (f == NULL) return OTHER;
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if (f[0] == 'f' && f[1] == '\0' && view->itemsize == 4) return F32;
    if (f[0] == 'd' && f[1] == '\0' && view->itemsize == 8) return F64;
    return OTHER;
}

/* A C-contiguous float buffer, writable when asked; fills `view` or sets an error. */
static int get_floats(PyObject *obj, Py_buffer *view, int writable, const char *what) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, view, flags) != 0) {
        PyErr_Format(PyExc_TypeError, "%s must be a C-contiguous%s float32 or float64 array",
                     what, writable ? ", writable" : "");
        return -1;
    }
    if (kind_of(view) == OTHER) {
        PyBuffer_Release(view);
        PyErr_Format(PyExc_TypeError, "%s must hold float32 or float64 numbers", what);
        return -1;
    }
    return 0;
}

/* ----- Adam ------------------------------------------------------------------------------ */
/* The NumPy update (optimizers/adam.py), per element, with tmp a scratch value:
     tmp = g - m; tmp *= c1; m += tmp
     tmp = g * g; tmp -= v; tmp *= c2; v += tmp
     [amsgrad: vh = max(vh, v); v := vh]
     tmp = sqrt(v); tmp += eps; tmp = m / tmp; tmp *= alpha; w -= tmp
   np.maximum(a, b) is (a > b || a is NaN) ? a : b: NaN when either is, b on a tie. */
#define ADAM_LOOP(T, SQRT)                                                                 \
    WIDE_LOOP static void adam_##T(T *restrict w, const T *restrict g, T *restrict m, T *restrict v, \
                         T *restrict vh, Py_ssize_t n, T c1, T c2, T alpha, T eps) {         \
        for (Py_ssize_t i = 0; i < n; i++) {                                               \
            T gi = g[i];                                                                   \
            T mi = m[i] + (gi - m[i]) * c1;                                                \
            T vi = v[i] + (gi * gi - v[i]) * c2;                                           \
            m[i] = mi;                                                                     \
            v[i] = vi;                                                                     \
            if (vh) {                                                                      \
                T hi = vh[i];                                                              \
                hi = (hi > vi || hi != hi) ? hi : vi;                                      \
                vh[i] = hi;                                                                \
                vi = hi;                                                                   \
            }                                                                              \
            w[i] -= (mi / (SQRT(vi) + eps)) * alpha;                                       \
        }                                                                                  \
    }

ADAM_LOOP(float, sqrtf)
ADAM_LOOP(double, sqrt)

/* adam(w, grads, m, v, v_hat, c1, c2, alpha, eps): w, m, v (and v_hat, or None) are flat
   buffers of one dtype; grads a list of buffers whose sizes add up to w's, read in turn
   along it (each variable's gradient where the model left it: no copy into a flat one). */
static PyObject *adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "adam() takes 9 arguments");
        return NULL;
    }
    double c1 = PyFloat_AsDouble(args[5]), c2 = PyFloat_AsDouble(args[6]);
    double alpha = PyFloat_AsDouble(args[7]), eps = PyFloat_AsDouble(args[8]);
    if (PyErr_Occurred()) return NULL;
    if (!PyList_Check(args[1])) {
        PyErr_SetString(PyExc_TypeError, "adam(): grads must be a list");
        return NULL;
    }
    Py_buffer w, m, v, vh;
    int have_vh = args[4] != Py_None;
    if (get_floats(args[0], &w, 1, "weights") != 0) return NULL;
    if (get_floats(args[2], &m, 1, "first moments") != 0) goto fail_w;
    if (get_floats(args[3], &v, 1, "second moments") != 0) goto fail_m;
    if (have_vh && get_floats(args[4], &vh, 1, "v_hat") != 0) goto fail_v;
    Kind kind = kind_of(&w);
    Py_ssize_t n = w.len / w.itemsize;
    if (kind_of(&m) != kind || kind_of(&v) != kind || m.len != w.len || v.len != w.len ||
        (have_vh && (kind_of(&vh) != kind || vh.len != w.len))) {
        PyErr_SetString(PyExc_ValueError, "adam(): weights and slots differ in dtype or size");
        goto fail_vh;
    }
    PyObject *grads = args[1];
    Py_ssize_t parts = PyList_GET_SIZE(grads), offset = 0;
    for (Py_ssize_t k = 0; k < parts; k++) {  /* all checked before anything changes */
        Py_buffer g;
        if (get_floats(PyList_GET_ITEM(grads, k), &g, 0, "a gradient") != 0) goto fail_vh;
        int same = kind_of(&g) == kind;
        offset += g.len / g.itemsize;
        PyBuffer_Release(&g);
        if (!same) {
            PyErr_SetString(PyExc_ValueError, "adam(): a gradient's dtype differs from the weights'");
            goto fail_vh;
        }
    }
    if (offset != n) {
        PyErr_Format(PyExc_ValueError, "adam(): the gradients hold %zd numbers, the weights %zd", offset, n);
        goto fail_vh;
    }
    offset = 0;
    for (Py_ssize_t k = 0; k < parts; k++) {
        Py_buffer g;
        if (get_floats(PyList_GET_ITEM(grads, k), &g, 0, "a gradient") != 0) goto fail_vh;
        Py_ssize_t count = g.len / g.itemsize;
        if (kind_of(&g) != kind || offset + count > n) {  /* the list changed under us */
            PyBuffer_Release(&g);
            PyErr_SetString(PyExc_ValueError, "adam(): gradients differ from the weights in dtype or size");
            goto fail_vh;
        }
        Py_BEGIN_ALLOW_THREADS
        if (kind == F32)
            adam_float((float *)w.buf + offset, (const float *)g.buf, (float *)m.buf + offset,
                       (float *)v.buf + offset, have_vh ? (float *)vh.buf + offset : NULL, count,
                       (float)c1, (float)c2, (float)alpha, (float)eps);
        else
            adam_double((double *)w.buf + offset, (const double *)g.buf, (double *)m.buf + offset,
                        (double *)v.buf + offset, have_vh ? (double *)vh.buf + offset : NULL, count,
                        c1, c2, alpha, eps);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&g);
        offset += count;
    }
    if (have_vh) PyBuffer_Release(&vh);
    PyBuffer_Release(&v);
    PyBuffer_Release(&m);
    PyBuffer_Release(&w);
    Py_RETURN_NONE;
fail_vh:
    if (have_vh) PyBuffer_Release(&vh);
fail_v:
    PyBuffer_Release(&v);
fail_m:
    PyBuffer_Release(&m);
fail_w:
    PyBuffer_Release(&w);
    return NULL;
}

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

/* maxpool2d_forward(x, out, first, geometry): x (n, h, w, c) padded; out and first (n, oh, ow, c). */
static PyObject *maxpool2d_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "maxpool2d_forward() takes 4 arguments");
        return NULL;
    }
    Py_ssize_t geo[10];
    if (read_geometry(args[3], geo) != 0) return NULL;
    Py_buffer x, out, first;
    if (get_floats(args[0], &x, 0, "inputs") != 0) return NULL;
    if (get_floats(args[1], &out, 1, "outputs") != 0) { PyBuffer_Release(&x); return NULL; }
    if (get_ints(args[2], &first, 1) != 0) { PyBuffer_Release(&out); PyBuffer_Release(&x); return NULL; }
    Py_ssize_t n_in = geo[0] * geo[1] * geo[2] * geo[3], n_out = geo[0] * geo[4] * geo[5] * geo[3];
    Kind kind = kind_of(&x);
    PyObject *result = NULL;
    if (kind_of(&out) != kind || x.len != n_in * x.itemsize || out.len != n_out * out.itemsize ||
        first.len != n_out * 4) {
        PyErr_SetString(PyExc_ValueError, "maxpool2d_forward(): arrays do not match the geometry");
    } else {
        Py_BEGIN_ALLOW_THREADS
        if (kind == F32)
            maxpool_forward_float(x.buf, out.buf, first.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                  geo[6], geo[7], geo[8], geo[9]);
        else
            maxpool_forward_double(x.buf, out.buf, first.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                   geo[6], geo[7], geo[8], geo[9]);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&first);
    PyBuffer_Release(&out);
    PyBuffer_Release(&x);
    return result;
}

/* maxpool2d_backward(grad, first, gx, geometry): gx zeros shaped like the padded input. */
static PyObject *maxpool2d_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 4) {
        PyErr_SetString(PyExc_TypeError, "maxpool2d_backward() takes 4 arguments");
        return NULL;
    }
    Py_ssize_t geo[10];
    if (read_geometry(args[3], geo) != 0) return NULL;
    Py_buffer g, first, gx;
    if (get_floats(args[0], &g, 0, "gradient") != 0) return NULL;
    if (get_ints(args[1], &first, 0) != 0) { PyBuffer_Release(&g); return NULL; }
    if (get_floats(args[2], &gx, 1, "input gradient") != 0) { PyBuffer_Release(&first); PyBuffer_Release(&g); return NULL; }
    Py_ssize_t n_in = geo[0] * geo[1] * geo[2] * geo[3], n_out = geo[0] * geo[4] * geo[5] * geo[3];
    int overlapping = geo[8] < geo[6] || geo[9] < geo[7];
    Kind kind = kind_of(&g);
    PyObject *result = NULL;
    if (kind_of(&gx) != kind || gx.len != n_in * gx.itemsize || g.len != n_out * g.itemsize ||
        first.len != n_out * 4) {
        PyErr_SetString(PyExc_ValueError, "maxpool2d_backward(): arrays do not match the geometry");
    } else {
        Py_BEGIN_ALLOW_THREADS
        if (kind == F32)
            maxpool_backward_float(g.buf, first.buf, gx.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                   geo[6], geo[7], geo[8], geo[9], overlapping);
        else
            maxpool_backward_double(g.buf, first.buf, gx.buf, geo[0], geo[1], geo[2], geo[3], geo[4], geo[5],
                                    geo[6], geo[7], geo[8], geo[9], overlapping);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&gx);
    PyBuffer_Release(&first);
    PyBuffer_Release(&g);
    return result;
}

/* ----- dense and conv layers: bias, activation, their gradients ------------------------- */
/* Forward, in place on the fresh product z (rows x units), in modes:
     BIAS:    z = z + bias
     RELU:    z = maximum(z + bias, 0) with NumPy's rule (NaN stays; 0 on a tie: -0 -> +0)
     NEGATE:  z = -(z + bias), the first step of the sigmoid, whose exp is NumPy's own
     RECIPROCAL_ONE_PLUS: z = 1 / (z + 1), its last step (the bias is not read)
   (the bias may be absent). Sigmoid's exp and tanh stay NumPy's: their SIMD code decides
   the last bit, which a C library's need not match. */
enum { MODE_BIAS = 0, MODE_RELU = 1, MODE_NEGATE = 2, MODE_RECIPROCAL_ONE_PLUS = 3 };

#define BIAS_ACT(T)                                                                           \
    WIDE_LOOP static void bias_act_##T(T *restrict z, const T *restrict bias, Py_ssize_t rows,  \
                                       Py_ssize_t units, int mode) {                          \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            T *restrict row = z + r * units;                                                  \
            if (mode == MODE_RECIPROCAL_ONE_PLUS) {                                           \
                for (Py_ssize_t j = 0; j < units; j++) row[j] = (T)1 / (row[j] + (T)1);       \
                continue;                                                                     \
            }                                                                                 \
            if (bias)                                                                         \
                for (Py_ssize_t j = 0; j < units; j++) row[j] = row[j] + bias[j];             \
            if (mode == MODE_RELU)                                                            \
                for (Py_ssize_t j = 0; j < units; j++) {                                      \
                    T v = row[j];                                                             \
                    row[j] = (v > (T)0 || v != v) ? v : (T)0;                                 \
                }                                                                             \
            else if (mode == MODE_NEGATE)                                                     \
                for (Py_ssize_t j = 0; j < units; j++) row[j] = -row[j];                      \
        }                                                                                     \
    }

/* Backward: d = g * act'(y) from the output y, as the NumPy rules write it
   (relu: g * (y > 0); sigmoid: g * (y * (1 - y)); tanh: g * (1 - y * y)), and when asked
   the bias gradient, d summed over rows in row order from +0, as np.add.reduce(d, axis=0)
   sums a C-contiguous matrix of two or more columns (so a column of -0 sums to +0; one
   column NumPy sums pairwise: the caller asks only from two on). */
enum { ACT_NONE = 0, ACT_RELU = 1, ACT_SIGMOID = 2, ACT_TANH = 3 };

#define DENSE_GRAD(T)                                                                         \
    WIDE_LOOP static void dense_grad_##T(const T *restrict g, const T *restrict y,             \
                                         T *restrict d, T *restrict db, Py_ssize_t rows,      \
                                         Py_ssize_t units, int act) {                         \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            const T *restrict gr = g + r * units, *restrict yr = y + r * units;               \
            T *restrict dr = d + r * units;                                                   \
            switch (act) {                                                                    \
            case ACT_RELU:                                                                    \
                for (Py_ssize_t j = 0; j < units; j++) dr[j] = gr[j] * (T)(yr[j] > (T)0);     \
                break;                                                                        \
            case ACT_SIGMOID:                                                                 \
                for (Py_ssize_t j = 0; j < units; j++) dr[j] = gr[j] * (yr[j] * ((T)1 - yr[j])); \
                break;                                                                        \
            case ACT_TANH:                                                                    \
                for (Py_ssize_t j = 0; j < units; j++) dr[j] = gr[j] * ((T)1 - yr[j] * yr[j]); \
                break;                                                                        \
            default:                                                                          \
                for (Py_ssize_t j = 0; j < units; j++) dr[j] = gr[j];                         \
            }                                                                                 \
            if (db) {                                                                         \
                if (r == 0)                                                                   \
                    for (Py_ssize_t j = 0; j < units; j++) db[j] = (T)0 + dr[j];              \
                else                                                                          \
                    for (Py_ssize_t j = 0; j < units; j++) db[j] = db[j] + dr[j];             \
            }                                                                                 \
        }                                                                                     \
    }

BIAS_ACT(float)
BIAS_ACT(double)
DENSE_GRAD(float)
DENSE_GRAD(double)

/* A (rows, units) view of a C-contiguous float buffer of `rows * units` numbers. */
static int check_matrix(Py_buffer *view, Kind kind, Py_ssize_t count, const char *what) {
    if (kind_of(view) != kind || view->len != count * view->itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: dtype or size differs from the layer's output", what);
        return -1;
    }
    return 0;
}

/* bias_act(z, bias or None, mode): z (rows, units) in place. */
static PyObject *bias_act(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "bias_act() takes 3 arguments");
        return NULL;
    }
    long mode = PyLong_AsLong(args[2]);
    if (mode == -1 && PyErr_Occurred()) return NULL;
    if (mode < MODE_BIAS || mode > MODE_RECIPROCAL_ONE_PLUS) {
        PyErr_SetString(PyExc_ValueError, "bias_act(): unknown mode");
        return NULL;
    }
    Py_buffer z, b;
    int have_bias = args[1] != Py_None;
    if (get_floats(args[0], &z, 1, "outputs") != 0) return NULL;
    if (z.ndim != 2) {
        PyBuffer_Release(&z);
        PyErr_SetString(PyExc_ValueError, "bias_act(): outputs must be a matrix");
        return NULL;
    }
    Py_ssize_t rows = z.shape[0], units = z.shape[1];
    Kind kind = kind_of(&z);
    if (have_bias) {
        if (get_floats(args[1], &b, 0, "bias") != 0) { PyBuffer_Release(&z); return NULL; }
        if (check_matrix(&b, kind, units, "bias_act(): the bias") != 0) {
            PyBuffer_Release(&b);
            PyBuffer_Release(&z);
            return NULL;
        }
    }
    if (kind == F32)
        bias_act_float(z.buf, have_bias ? b.buf : NULL, rows, units, (int)mode);
    else
        bias_act_double(z.buf, have_bias ? b.buf : NULL, rows, units, (int)mode);
    if (have_bias) PyBuffer_Release(&b);
    PyBuffer_Release(&z);
    Py_RETURN_NONE;
}

/* dense_grad(g, y, act, d, db or None): g, y, d (rows, units); db (units,). */
static PyObject *dense_grad(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "dense_grad() takes 5 arguments");
        return NULL;
    }
    long act = PyLong_AsLong(args[2]);
    if (act == -1 && PyErr_Occurred()) return NULL;
    if (act < ACT_NONE || act > ACT_TANH) {
        PyErr_SetString(PyExc_ValueError, "dense_grad(): unknown activation code");
        return NULL;
    }
    Py_buffer g, y, d, db;
    int have_db = args[4] != Py_None;
    if (get_floats(args[0], &g, 0, "gradient") != 0) return NULL;
    if (g.ndim != 2) {
        PyBuffer_Release(&g);
        PyErr_SetString(PyExc_ValueError, "dense_grad(): the gradient must be a matrix");
        return NULL;
    }
    Py_ssize_t rows = g.shape[0], units = g.shape[1];
    Kind kind = kind_of(&g);
    PyObject *result = NULL;
    if (get_floats(args[1], &y, 0, "outputs") != 0) goto release_g;
    if (get_floats(args[3], &d, 1, "result") != 0) goto release_y;
    if (have_db && get_floats(args[4], &db, 1, "bias gradient") != 0) goto release_d;
    if (check_matrix(&y, kind, rows * units, "dense_grad(): the outputs") == 0 &&
        check_matrix(&d, kind, rows * units, "dense_grad(): the result") == 0 &&
        (!have_db || check_matrix(&db, kind, units, "dense_grad(): the bias gradient") == 0)) {
        if (kind == F32)
            dense_grad_float(g.buf, y.buf, d.buf, have_db ? db.buf : NULL, rows, units, (int)act);
        else
            dense_grad_double(g.buf, y.buf, d.buf, have_db ? db.buf : NULL, rows, units, (int)act);
        result = Py_None;
        Py_INCREF(result);
    }
    if (have_db) PyBuffer_Release(&db);
release_d:
    PyBuffer_Release(&d);
release_y:
    PyBuffer_Release(&y);
release_g:
    PyBuffer_Release(&g);
    return result;
}

/* ----- sparse softmax cross-entropy from logits ------------------------------------------- */
/* NumPy's sum of a contiguous row, as np.add.reduce(row) forms it: from +0, add the pairwise
   sum (fewer than 8 numbers one by one; up to 128 in 8 running sums combined as a tree;
   longer rows halved at a multiple of 8). */
#define PAIRWISE(T)                                                                           \
    static T pairwise_##T(const T *a, Py_ssize_t n) {                                         \
        if (n < 8) {                                                                          \
            T res = (T)0;                                                                     \
            for (Py_ssize_t i = 0; i < n; i++) res = res + a[i];                              \
            return res;                                                                       \
        }                                                                                     \
        if (n <= 128) {                                                                       \
            T r[8];                                                                           \
            for (int j = 0; j < 8; j++) r[j] = a[j];                                          \
            Py_ssize_t i = 8;                                                                 \
            for (; i < n - (n % 8); i += 8)                                                   \
                for (int j = 0; j < 8; j++) r[j] = r[j] + a[i + j];                           \
            T res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));        \
            for (; i < n; i++) res = res + a[i];                                              \
            return res;                                                                       \
        }                                                                                     \
        Py_ssize_t half = n / 2;                                                              \
        half -= half % 8;                                                                     \
        return pairwise_##T(a, half) + pairwise_##T(a + half, n - half);                      \
    }

/* The three loops of losses.py's forward around NumPy's exp and log (which stay NumPy's):
     1. shifted = logits - max(row)                      (then e = np.exp(shifted))
     2. s = 0 + pairwise sum of e's row                  (then np.log(s) in place)
     3. shifted -= log s; loss = 0 - shifted[row, label]
   and of its backward: d = np.exp(log_probs); d[row, label] -= 1; d *= grad[row]. */
#define SOFTMAX_XENT(T)                                                                       \
    PAIRWISE(T)                                                                               \
    static void row_shift_##T(const T *x, T *out, Py_ssize_t rows, Py_ssize_t k) {            \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            const T *row = x + r * k;                                                         \
            T top = row[0];                                                                   \
            for (Py_ssize_t j = 1; j < k; j++)                                                \
                top = (top > row[j] || top != top) ? top : row[j];                            \
            for (Py_ssize_t j = 0; j < k; j++) out[r * k + j] = row[j] - top;                 \
        }                                                                                     \
    }                                                                                         \
    static void row_sums_##T(const T *e, T *sums, Py_ssize_t rows, Py_ssize_t k) {            \
        for (Py_ssize_t r = 0; r < rows; r++) sums[r] = (T)0 + pairwise_##T(e + r * k, k);    \
    }                                                                                         \
    static void pick_##T(T *shifted, const T *log_sums, const int64_t *labels, T *loss,       \
                         Py_ssize_t rows, Py_ssize_t k) {                                     \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            T *row = shifted + r * k;                                                         \
            for (Py_ssize_t j = 0; j < k; j++) row[j] = row[j] - log_sums[r];                 \
            loss[r] = (T)0 - row[labels[r]];                                                  \
        }                                                                                     \
    }                                                                                         \
    static void xent_grad_##T(T *d, const int64_t *labels, const T *grad, Py_ssize_t rows,    \
                              Py_ssize_t k) {                                                 \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            T *row = d + r * k;                                                               \
            row[labels[r]] = row[labels[r]] - (T)1;                                           \
            for (Py_ssize_t j = 0; j < k; j++) row[j] = row[j] * grad[r];                     \
        }                                                                                     \
    }

SOFTMAX_XENT(float)
SOFTMAX_XENT(double)

/* Labels: a C-contiguous int64 vector with `rows` entries, each in [0, k). */
static int get_labels(PyObject *obj, Py_buffer *view, Py_ssize_t rows, Py_ssize_t k) {
    if (PyObject_GetBuffer(obj, view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
        PyErr_SetString(PyExc_TypeError, "labels must be a C-contiguous int64 array");
        return -1;
    }
    const char *f = view->format;
    if (f && (f[0] == '<' || f[0] == '=' || f[0] == '@')) f++;
    if (!f || !((f[0] == 'q' || f[0] == 'l') && f[1] == '\0') || view->itemsize != 8 ||
        view->len != rows * 8) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_TypeError, "labels must be int64, one per row");
        return -1;
    }
    const int64_t *labels = view->buf;
    for (Py_ssize_t r = 0; r < rows; r++)
        if (labels[r] < 0 || labels[r] >= k) {
            PyBuffer_Release(view);
            PyErr_Format(PyExc_IndexError, "label %lld is not in [0, %zd)", (long long)labels[r], k);
            return -1;
        }
    return 0;
}

/* xent_step(stage, ...): stage 1 (logits, shifted), 2 (e, sums), 3 (shifted, log_sums,
   labels, loss), 4 (d, labels, grad); every float array of one dtype, matrices (rows, k)
   and vectors (rows,). */
static PyObject *xent_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arity[] = {0, 3, 3, 5, 4};
    long stage = nargs ? PyLong_AsLong(args[0]) : -1;
    if (stage == -1 && PyErr_Occurred()) return NULL;
    if (stage < 1 || stage > 4 || nargs != arity[stage]) {
        PyErr_SetString(PyExc_TypeError, "xent_step(): unknown stage or wrong number of arguments");
        return NULL;
    }
    Py_buffer a, b, c, labels;
    int have_c = 0, have_labels = 0;
    PyObject *result = NULL;
    if (get_floats(args[1], &a, stage >= 3, "a matrix") != 0) return NULL;
    if (a.ndim != 2) {
        PyErr_SetString(PyExc_ValueError, "xent_step(): expected a (rows, classes) matrix");
        goto done_a;
    }
    Py_ssize_t rows = a.shape[0], k = a.shape[1];
    Kind kind = kind_of(&a);
    int b_is_matrix = stage == 1;
    int b_writable = stage == 1 || stage == 2;
    PyObject *b_obj = stage == 4 ? args[3] : args[2];
    if (get_floats(b_obj, &b, b_writable, "an array") != 0) goto done_a;
    if (check_matrix(&b, kind, b_is_matrix ? rows * k : rows, "xent_step()") != 0) goto done_b;
    if (stage == 3 || stage == 4) {
        if (get_labels(stage == 3 ? args[3] : args[2], &labels, rows, k) != 0) goto done_b;
        have_labels = 1;
    }
    if (stage == 3) {
        if (get_floats(args[4], &c, 1, "the losses") != 0) goto done_labels;
        have_c = 1;
        if (check_matrix(&c, kind, rows, "xent_step(): the losses") != 0) goto done_c;
    }
    if (rows && k == 0) {
        PyErr_SetString(PyExc_ValueError, "xent_step(): no classes");
        goto done_c;
    }
    if (kind == F32) {
        switch (stage) {
        case 1: row_shift_float(a.buf, b.buf, rows, k); break;
        case 2: row_sums_float(a.buf, b.buf, rows, k); break;
        case 3: pick_float(a.buf, b.buf, labels.buf, c.buf, rows, k); break;
        default: xent_grad_float(a.buf, labels.buf, b.buf, rows, k);
        }
    } else {
        switch (stage) {
        case 1: row_shift_double(a.buf, b.buf, rows, k); break;
        case 2: row_sums_double(a.buf, b.buf, rows, k); break;
        case 3: pick_double(a.buf, b.buf, labels.buf, c.buf, rows, k); break;
        default: xent_grad_double(a.buf, labels.buf, b.buf, rows, k);
        }
    }
    result = Py_None;
    Py_INCREF(result);
done_c:
    if (have_c) PyBuffer_Release(&c);
done_labels:
    if (have_labels) PyBuffer_Release(&labels);
done_b:
    PyBuffer_Release(&b);
done_a:
    PyBuffer_Release(&a);
    return result;
}

/* ----- binary cross-entropy from probabilities ------------------------------------------ */
/* losses.py's loops around NumPy's two logs, elementwise over flat arrays:
     1. p = minimum(maximum(probs, eps), 1 - eps) (NumPy's NaN rules); shifted = p + eps;
        not_p = (1 - p) + eps; not_z = 1 - z; inside = (p == probs) as 1 or 0
        (then np.log(shifted) and np.log(not_p))
     2. loss = 0 - (log_shifted * z + log_not_p * not_z)
     3. backward: d = ((not_z / not_p) - (z / shifted)) * grad * inside
   `high` is 1 - eps as NumPy rounds it: the Python float difference, then the dtype. */
#define BCE(T)                                                                                \
    static void bce_prepare_##T(const T *probs, const T *z, T *shifted, T *not_p, T *not_z,   \
                                T *inside, Py_ssize_t n, T eps, T high) {                     \
        for (Py_ssize_t i = 0; i < n; i++) {                                                  \
            T q = probs[i];                                                                   \
            T p = (q > eps || q != q) ? q : eps;                                              \
            p = (p < high || p != p) ? p : high;                                              \
            shifted[i] = p + eps;                                                             \
            not_p[i] = ((T)1 - p) + eps;                                                      \
            not_z[i] = (T)1 - z[i];                                                           \
            inside[i] = (T)(p == q);                                                          \
        }                                                                                     \
    }                                                                                         \
    static void bce_loss_##T(const T *log_shifted, const T *z, const T *log_not_p,            \
                             const T *not_z, T *loss, Py_ssize_t n) {                         \
        for (Py_ssize_t i = 0; i < n; i++)                                                    \
            loss[i] = (T)0 - (log_shifted[i] * z[i] + log_not_p[i] * not_z[i]);               \
    }                                                                                         \
    static void bce_grad_##T(const T *z, const T *not_z, const T *shifted, const T *not_p,    \
                             const T *inside, const T *grad, T *d, Py_ssize_t n) {            \
        for (Py_ssize_t i = 0; i < n; i++)                                                    \
            d[i] = ((not_z[i] / not_p[i]) - (z[i] / shifted[i])) * grad[i] * inside[i];       \
    }

BCE(float)
BCE(double)

/* bce_step(stage, arrays..., [eps, high]): stage 1 (probs, z, shifted, not_p, not_z, inside,
   eps, high), 2 (log_shifted, z, log_not_p, not_z, loss), 3 (z, not_z, shifted, not_p,
   inside, grad, d); all of one float dtype and one size; the last of each list is written
   (stage 1: the last four). */
static PyObject *bce_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arrays_of[] = {0, 6, 5, 7}, written_from[] = {0, 2, 4, 6};
    long stage = nargs ? PyLong_AsLong(args[0]) : -1;
    if (stage == -1 && PyErr_Occurred()) return NULL;
    if (stage < 1 || stage > 3 || nargs != 1 + arrays_of[stage] + (stage == 1 ? 2 : 0)) {
        PyErr_SetString(PyExc_TypeError, "bce_step(): unknown stage or wrong number of arguments");
        return NULL;
    }
    double eps = 0, high = 0;
    if (stage == 1) {
        eps = PyFloat_AsDouble(args[7]);
        high = PyFloat_AsDouble(args[8]);
        if (PyErr_Occurred()) return NULL;
    }
    Py_buffer views[7];
    int count = arrays_of[stage], got = 0;
    PyObject *result = NULL;
    for (; got < count; got++)
        if (get_floats(args[1 + got], &views[got], got >= written_from[stage], "an array") != 0) goto done;
    Kind kind = kind_of(&views[0]);
    for (int i = 1; i < count; i++)
        if (kind_of(&views[i]) != kind || views[i].len != views[0].len) {
            PyErr_SetString(PyExc_ValueError, "bce_step(): arrays differ in dtype or size");
            goto done;
        }
    Py_ssize_t n = views[0].len / views[0].itemsize;
    void *b[7];
    for (int i = 0; i < count; i++) b[i] = views[i].buf;
    if (kind == F32) {
        if (stage == 1) bce_prepare_float(b[0], b[1], b[2], b[3], b[4], b[5], n, (float)eps, (float)high);
        else if (stage == 2) bce_loss_float(b[0], b[1], b[2], b[3], b[4], n);
        else bce_grad_float(b[0], b[1], b[2], b[3], b[4], b[5], b[6], n);
    } else {
        if (stage == 1) bce_prepare_double(b[0], b[1], b[2], b[3], b[4], b[5], n, eps, high);
        else if (stage == 2) bce_loss_double(b[0], b[1], b[2], b[3], b[4], n);
        else bce_grad_double(b[0], b[1], b[2], b[3], b[4], b[5], b[6], n);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}

/* ----- finite check ------------------------------------------------------------------------ */
/* Whether every number is finite (np.isfinite(a).all()): its exponent bits are not all
   ones. Read as integers, so the loop vectorizes and NaN compares raise no flag. */
#define ALL_FINITE(T, U, EXPONENT)                                                            \
    WIDE_LOOP static int all_finite_##T(const U *restrict bits, Py_ssize_t n) {               \
        const Py_ssize_t block = 1024;                                                        \
        for (Py_ssize_t start = 0; start < n; start += block) {                               \
            Py_ssize_t stop = start + block < n ? start + block : n;                          \
            U seen = 0;                                                                       \
            for (Py_ssize_t i = start; i < stop; i++)                                         \
                seen |= (U)((bits[i] & EXPONENT) == EXPONENT);                                \
            if (seen) return 0;                                                               \
        }                                                                                     \
        return 1;                                                                             \
    }

ALL_FINITE(float, uint32_t, 0x7f800000u)
ALL_FINITE(double, uint64_t, 0x7ff0000000000000ull)

/* all_finite(arrays): True or False; None when some array is not a C-contiguous float32 or
   float64 buffer (the caller then asks NumPy). */
static PyObject *all_finite(PyObject *self, PyObject *arrays) {
    if (!PyList_Check(arrays)) {
        PyErr_SetString(PyExc_TypeError, "all_finite() takes a list of arrays");
        return NULL;
    }
    for (Py_ssize_t k = 0; k < PyList_GET_SIZE(arrays); k++) {
        Py_buffer view;
        if (PyObject_GetBuffer(PyList_GET_ITEM(arrays, k), &view, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) != 0) {
            PyErr_Clear();
            Py_RETURN_NONE;
        }
        Kind kind = kind_of(&view);
        int finite = 1;
        if (kind == F32)
            finite = all_finite_float(view.buf, view.len / 4);
        else if (kind == F64)
            finite = all_finite_double(view.buf, view.len / 8);
        PyBuffer_Release(&view);
        if (kind == OTHER) Py_RETURN_NONE;
        if (!finite) Py_RETURN_FALSE;
    }
    Py_RETURN_TRUE;
}

static PyMethodDef methods[] = {
    {"adam", (PyCFunction)(void (*)(void))adam, METH_FASTCALL,
     "adam(w, grads, m, v, v_hat, c1, c2, alpha, eps): one Adam step over flat buffers."},
    {"bias_act", (PyCFunction)(void (*)(void))bias_act, METH_FASTCALL,
     "bias_act(z, bias, mode): the bias and a step of the activation, in place on a matrix."},
    {"dense_grad", (PyCFunction)(void (*)(void))dense_grad, METH_FASTCALL,
     "dense_grad(g, y, act, d, db): d = g * act'(y) from the output y; db = d summed over rows."},
    {"xent_step", (PyCFunction)(void (*)(void))xent_step, METH_FASTCALL,
     "xent_step(stage, ...): the loops of sparse softmax cross-entropy around NumPy's exp and log."},
    {"bce_step", (PyCFunction)(void (*)(void))bce_step, METH_FASTCALL,
     "bce_step(stage, ...): the loops of binary cross-entropy from probabilities around NumPy's log."},
    {"all_finite", all_finite, METH_O,
     "all_finite(arrays): whether every number of every array is finite (None: ask NumPy)."},
    {"maxpool2d_forward", (PyCFunction)(void (*)(void))maxpool2d_forward, METH_FASTCALL,
     "maxpool2d_forward(x, out, first, geometry): window maxima and the offset of each one's first."},
    {"maxpool2d_backward", (PyCFunction)(void (*)(void))maxpool2d_backward, METH_FASTCALL,
     "maxpool2d_backward(grad, first, gx, geometry): each window's gradient to its first maximum."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "glassnet._native", "glassnet's compiled kernels (see glassnet.kernels).",
    -1, methods,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
