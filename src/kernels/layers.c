/* Dense and convolutional layers: what follows the matrix product. */

#include "kernels.h"

/* ----- dense and conv layers: bias, activation, their gradients ------------------------- */
/* Forward, in place on the fresh product z (rows x units), in modes:
     BIAS:    z = z + bias
     RELU:    z = maximum(z + bias, 0) with NumPy's rule (NaN stays; 0 on a tie: -0 -> +0)
     NEGATE:  z = -(z + bias), the first step of the sigmoid, whose exp is NumPy's own
     RECIPROCAL_ONE_PLUS: z = 1 / (z + 1), its last step (the bias is not read)
   (the bias may be absent). Sigmoid's exp and tanh stay NumPy's: their SIMD code decides
   the last bit, which a C library's need not match. NEGATE also tells whether some value
   is above `safe` (+inf included; NaN is not, and exp passes it quietly), where exp may
   overflow: when none is, no overflow can happen and the caller skips np.errstate (1 us). */
enum { MODE_BIAS = 0, MODE_RELU = 1, MODE_NEGATE = 2, MODE_RECIPROCAL_ONE_PLUS = 3 };

#define BIAS_ACT(T)                                                                           \
    WIDE_LOOP static int bias_act_##T(T *restrict z, const T *restrict bias, Py_ssize_t rows,   \
                                      Py_ssize_t units, int mode, T safe) {                   \
        int above = 0;                                                                        \
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
                for (Py_ssize_t j = 0; j < units; j++) {                                      \
                    T v = -row[j];                                                            \
                    row[j] = v;                                                               \
                    above |= v > safe;                                                        \
                }                                                                             \
        }                                                                                     \
        return above;                                                                         \
    }

/* Backward: d = g * act'(y) from the output y, as the NumPy rules write it
   (relu: g * (y > 0); sigmoid: g * (y * (1 - y)); tanh: g * (1 - y * y)), and when asked
   the bias gradient, d summed over rows as np.add.reduce(d, axis=0) sums a C-contiguous
   matrix: of two or more columns, row by row from +0 (so a column of -0 sums to +0); of
   one column, pairwise like a row (see kernels.h). */
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
            if (db && units > 1) {                                                            \
                if (r == 0)                                                                   \
                    for (Py_ssize_t j = 0; j < units; j++) db[j] = (T)0 + dr[j];              \
                else                                                                          \
                    for (Py_ssize_t j = 0; j < units; j++) db[j] = db[j] + dr[j];             \
            }                                                                                 \
        }                                                                                     \
        if (db && units == 1) db[0] = (T)0 + pairwise_##T(d, rows);                           \
    }

BIAS_ACT(float)
BIAS_ACT(double)
DENSE_GRAD(float)
DENSE_GRAD(double)

/* bias_act(z, bias or None, mode): z (rows, units) in place; in mode NEGATE, returns whether
   some value is above 88 (float32) or 709 (float64), where np.exp could overflow. */
PyObject *gn_bias_act(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 3) {
        PyErr_SetString(PyExc_TypeError, "bias_act() takes 3 arguments");
        return NULL;
    }
    long mode;
    if (read_choice(args[2], MODE_BIAS, MODE_RECIPROCAL_ONE_PLUS, "bias_act(): unknown mode", &mode) != 0)
        return NULL;
    Py_buffer z, b;
    int have_bias = args[1] != Py_None;
    if (get_float_matrix(args[0], &z, 1, "outputs", "bias_act(): outputs must be a matrix") != 0) return NULL;
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
    int above;  /* exp(x) is finite, whatever its last bit, below these */
    /* as dense_grad: a large call (a convolution's block, from glassnet's threads) lets
       other threads run meanwhile */
    PyThreadState *saved = rows * units >= (1 << 14) ? PyEval_SaveThread() : NULL;
    if (kind == F32)
        above = bias_act_float(z.buf, have_bias ? b.buf : NULL, rows, units, (int)mode, 88.0f);
    else
        above = bias_act_double(z.buf, have_bias ? b.buf : NULL, rows, units, (int)mode, 709.0);
    if (saved != NULL) PyEval_RestoreThread(saved);
    if (have_bias) PyBuffer_Release(&b);
    PyBuffer_Release(&z);
    if (mode != MODE_NEGATE) Py_RETURN_NONE;
    return PyBool_FromLong(above);
}

/* dense_grad(g, y, act, d, db or None): g, y, d (rows, units); db (units,). */
PyObject *gn_dense_grad(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "dense_grad() takes 5 arguments");
        return NULL;
    }
    long act;
    if (read_choice(args[2], ACT_NONE, ACT_TANH, "dense_grad(): unknown activation code", &act) != 0)
        return NULL;
    Py_buffer g, y, d, db;
    int have_db = args[4] != Py_None;
    if (get_float_matrix(args[0], &g, 0, "gradient", "dense_grad(): the gradient must be a matrix") != 0)
        return NULL;
    Py_ssize_t rows = g.shape[0], units = g.shape[1];
    Kind kind = kind_of(&g);
    PyObject *result = NULL;
    if (get_floats(args[1], &y, 0, "outputs") != 0) goto release_g;
    if (get_floats(args[3], &d, 1, "result") != 0) goto release_y;
    if (have_db && get_floats(args[4], &db, 1, "bias gradient") != 0) goto release_d;
    if (check_matrix(&y, kind, rows * units, "dense_grad(): the outputs") == 0 &&
        check_matrix(&d, kind, rows * units, "dense_grad(): the result") == 0 &&
        (!have_db || check_matrix(&db, kind, units, "dense_grad(): the bias gradient") == 0)) {
        /* a large call lets other threads run meanwhile (a convolution's batch blocks
           call it from glassnet's threads); a small one keeps the GIL, which is cheaper */
        PyThreadState *saved = rows * units >= (1 << 14) ? PyEval_SaveThread() : NULL;
        if (kind == F32)
            dense_grad_float(g.buf, y.buf, d.buf, have_db ? db.buf : NULL, rows, units, (int)act);
        else
            dense_grad_double(g.buf, y.buf, d.buf, have_db ? db.buf : NULL, rows, units, (int)act);
        if (saved != NULL) PyEval_RestoreThread(saved);
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

/* Reads a convolution's window geometry (n, H, W, C, oh, ow, kh, kw, sh, sw, dh, dw, then
   `count` - 12 more sizes >= 1), the third argument of im2col and col2im, and checks that
   the windows stay inside the input; else an error naming `name`. */
static int read_windows(PyObject *const *args, Py_ssize_t nargs, Py_ssize_t *geo, int count, const char *name,
                        const char *usage) {
    if (nargs != 3 || !PyTuple_Check(args[2]) || PyTuple_GET_SIZE(args[2]) != count) {
        PyErr_SetString(PyExc_TypeError, usage);
        return -1;
    }
    for (int i = 0; i < count; i++) {
        geo[i] = PyLong_AsSsize_t(PyTuple_GET_ITEM(args[2], i));
        if (geo[i] == -1 && PyErr_Occurred()) return -1;
        if (geo[i] < (i >= 6 ? 1 : 0)) {
            PyErr_Format(PyExc_ValueError, "%s: sizes must be >= 0, windows, strides, dilations >= 1", name);
            return -1;
        }
    }
    if ((geo[4] && (geo[4] - 1) * geo[8] + (geo[6] - 1) * geo[10] >= geo[1]) ||
        (geo[5] && (geo[5] - 1) * geo[9] + (geo[7] - 1) * geo[11] >= geo[2])) {
        PyErr_Format(PyExc_ValueError, "%s: the windows reach outside the input", name);
        return -1;
    }
    return 0;
}

/* ----- im2col: a convolution's columns ------------------------------------------------------ */
/* Row (img, i, j) of cols (its first kh*kw*C of `ld` numbers) gets the window of x at
   (i*sh, j*sw), offset (a, b) after offset, C channels each: what conv.py's strided copy
   writes, copied without the GIL (NumPy's copies of one-channel windows hold it, so the
   blocks of a first convolution took turns on two threads). */
#define IM2COL(T)                                                                             \
    WIDE_LOOP static void im2col_##T(const T *restrict x, T *restrict cols, const Py_ssize_t *geo) { \
        Py_ssize_t n = geo[0], h = geo[1], w = geo[2], c = geo[3], oh = geo[4], ow = geo[5];   \
        Py_ssize_t kh = geo[6], kw = geo[7], sh = geo[8], sw = geo[9], dh = geo[10], dw = geo[11]; \
        Py_ssize_t ld = geo[12];                                                              \
        for (Py_ssize_t img = 0; img < n; img++)                                              \
            for (Py_ssize_t i = 0; i < oh; i++)                                               \
                for (Py_ssize_t j = 0; j < ow; j++) {                                         \
                    T *restrict row = cols + ((img * oh + i) * ow + j) * ld;                  \
                    for (Py_ssize_t a = 0; a < kh; a++) {                                     \
                        const T *restrict src = x + ((img * h + i * sh + a * dh) * w + j * sw) * c; \
                        if (c == 1 && kw == 3 && dw == 1) { /* a first 3x3 layer's: unrolled */ \
                            T *restrict to = row + a * 3;                                     \
                            to[0] = src[0];                                                   \
                            to[1] = src[1];                                                   \
                            to[2] = src[2];                                                   \
                        } else if (c == 1)                                                    \
                            for (Py_ssize_t b = 0; b < kw; b++) row[a * kw + b] = src[b * dw]; \
                        else                                                                  \
                            for (Py_ssize_t b = 0; b < kw; b++)                               \
                                memcpy(row + (a * kw + b) * c, src + b * dw * c, (size_t)c * sizeof(T)); \
                    }                                                                         \
                }                                                                             \
    }

IM2COL(float)
IM2COL(double)

/* im2col(x, cols, geometry): x (n, H, W, C); cols (rows, ld), its first n*oh*ow rows' first
   kh*kw*C numbers written; geometry (n, H, W, C, oh, ow, kh, kw, sh, sw, dh, dw, ld). */
PyObject *gn_im2col(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t geo[13];
    if (read_windows(args, nargs, geo, 13, "im2col()", "im2col(x, cols, geometry of 13 ints)") != 0) return NULL;
    if (geo[12] < geo[6] * geo[7] * geo[3]) {
        PyErr_SetString(PyExc_ValueError, "im2col(): rows are too short for a window");
        return NULL;
    }
    Py_buffer x, cols;
    if (get_floats(args[0], &x, 0, "input") != 0) return NULL;
    if (get_floats(args[1], &cols, 1, "columns") != 0) { PyBuffer_Release(&x); return NULL; }
    Kind kind = kind_of(&x);
    PyObject *result = NULL;
    Py_ssize_t rows = geo[0] * geo[4] * geo[5];
    int fits = check_matrix(&x, kind, geo[0] * geo[1] * geo[2] * geo[3], "im2col(): the input") == 0;
    if (fits && (kind_of(&cols) != kind || cols.len < rows * geo[12] * cols.itemsize)) {
        /* the scratch may hold more rows than this block needs: at least, not exactly */
        PyErr_SetString(PyExc_ValueError, "im2col(): the columns' dtype differs or they are too few");
        fits = 0;
    }
    if (fits) {
        Py_BEGIN_ALLOW_THREADS
        if (kind == F32) im2col_float(x.buf, cols.buf, geo);
        else im2col_double(x.buf, cols.buf, geo);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&cols);
    PyBuffer_Release(&x);
    return result;
}

/* ----- col2im: a convolution's input gradient from its columns' gradient ------------------ */
/* gx (n, H, W, C; the padded input's shape, zeros) gets, offset by offset of the kernel
   window (row-major) as conv.py's NumPy loop adds them, each offset's (n*oh*ow, C) block
   of the columns' gradient at the input positions that offset read: the same additions in
   the same order, without a strided view per offset. */
#define COL2IM(T)                                                                             \
    WIDE_LOOP static void col2im_##T(const T *restrict cols, T *restrict gx, const Py_ssize_t *geo) { \
        Py_ssize_t n = geo[0], h = geo[1], w = geo[2], c = geo[3], oh = geo[4], ow = geo[5];   \
        Py_ssize_t kh = geo[6], kw = geo[7], sh = geo[8], sw = geo[9], dh = geo[10], dw = geo[11]; \
        for (Py_ssize_t a = 0; a < kh; a++)                                                   \
            for (Py_ssize_t b = 0; b < kw; b++) {                                             \
                const T *restrict block = cols + (a * kw + b) * n * oh * ow * c;              \
                for (Py_ssize_t img = 0; img < n; img++)                                      \
                    for (Py_ssize_t i = 0; i < oh; i++) {                                     \
                        T *restrict row = gx + ((img * h + i * sh + a * dh) * w + b * dw) * c; \
                        const T *restrict src = block + ((img * oh + i) * ow) * c;            \
                        for (Py_ssize_t j = 0; j < ow; j++) {                                 \
                            T *restrict dst = row + j * sw * c;                               \
                            const T *restrict from = src + j * c;                             \
                            _Pragma("GCC ivdep")                                              \
                            for (Py_ssize_t ch = 0; ch < c; ch++) dst[ch] = dst[ch] + from[ch]; \
                        }                                                                     \
                    }                                                                         \
            }                                                                                 \
    }

COL2IM(float)
COL2IM(double)

/* col2im(cols, gx, geometry): cols (kh*kw, n*oh*ow, C); gx (n, H, W, C), added to in place;
   geometry (n, H, W, C, oh, ow, kh, kw, sh, sw, dh, dw). */
PyObject *gn_col2im(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    Py_ssize_t geo[12];
    if (read_windows(args, nargs, geo, 12, "col2im()", "col2im(cols, gx, geometry of 12 ints)") != 0) return NULL;
    Py_buffer cols, gx;
    if (get_floats(args[0], &cols, 0, "columns") != 0) return NULL;
    if (get_floats(args[1], &gx, 1, "input gradient") != 0) { PyBuffer_Release(&cols); return NULL; }
    Kind kind = kind_of(&cols);
    PyObject *result = NULL;
    Py_ssize_t rows = geo[0] * geo[4] * geo[5];
    if (check_matrix(&cols, kind, geo[6] * geo[7] * rows * geo[3], "col2im(): the columns") == 0 &&
        check_matrix(&gx, kind, geo[0] * geo[1] * geo[2] * geo[3], "col2im(): the input gradient") == 0) {
        Py_BEGIN_ALLOW_THREADS
        if (kind == F32) col2im_float(cols.buf, gx.buf, geo);
        else col2im_double(cols.buf, gx.buf, geo);
        Py_END_ALLOW_THREADS
        result = Py_None;
        Py_INCREF(result);
    }
    PyBuffer_Release(&gx);
    PyBuffer_Release(&cols);
    return result;
}
