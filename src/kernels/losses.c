/* Cross-entropies: their loops around NumPy's own exp and log. */

#include "kernels.h"

/* The stage a multi-stage kernel was called for (its first argument), checked against the
   number of arguments each stage takes (arity[stage], stages 1 to `stages`); -1 with a
   TypeError set when it is not one. */
static long read_stage(PyObject *const *args, Py_ssize_t nargs, const int *arity, long stages, const char *name) {
    long stage = nargs ? PyLong_AsLong(args[0]) : -1;
    if (stage == -1 && PyErr_Occurred()) return -1;
    if (stage < 1 || stage > stages || nargs != arity[stage]) {
        PyErr_Format(PyExc_TypeError, "%s(): unknown stage or wrong number of arguments", name);
        return -1;
    }
    return stage;
}

/* A clip's bounds from two Python floats: eps, and high = 1 - eps as NumPy rounds it. */
static int read_clip(PyObject *eps_obj, PyObject *high_obj, double *eps, double *high) {
    *eps = PyFloat_AsDouble(eps_obj);
    *high = PyFloat_AsDouble(high_obj);
    return PyErr_Occurred() ? -1 : 0;
}

/* ----- sparse softmax cross-entropy from logits ------------------------------------------- */
/* The three loops of losses.py's forward around NumPy's exp and log (which stay NumPy's):
     1. shifted = logits - max(row)                      (then e = np.exp(shifted))
     2. s = 0 + pairwise sum of e's row                  (then np.log(s) in place)
     3. shifted -= log s; loss = 0 - shifted[row, label]
   and of its backward: d = np.exp(log_probs); d[row, label] -= 1; d *= grad[row]. */
#define SOFTMAX_XENT(T)                                                                       \
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
PyObject *gn_xent_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arity[] = {0, 3, 3, 5, 4};
    long stage = read_stage(args, nargs, arity, 4, "xent_step");
    if (stage < 0) return NULL;
    Py_buffer a, b, c, labels;
    int have_c = 0, have_labels = 0;
    PyObject *result = NULL;
    if (get_float_matrix(args[1], &a, stage >= 3, "a matrix", "xent_step(): expected a (rows, classes) matrix") != 0)
        return NULL;
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

/* ----- softmax along rows ---------------------------------------------------------------- */
/* The loops of activation.py's Softmax around NumPy's exp (the row max is xent_step's stage 1):
     forward, on e = np.exp(x - max(row)):  e[row] /= 0 + pairwise sum of e[row]
     backward:  d = grad * y;  d = (grad - (0 + pairwise sum of d[row])) * y */
#define SOFTMAX_ROWS(T)                                                                       \
    static void normalize_rows_##T(T *e, Py_ssize_t rows, Py_ssize_t k) {                     \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            T *row = e + r * k;                                                               \
            T s = (T)0 + pairwise_##T(row, k);                                                \
            for (Py_ssize_t j = 0; j < k; j++) row[j] = row[j] / s;                           \
        }                                                                                     \
    }                                                                                         \
    static void softmax_grad_##T(const T *g, const T *y, T *d, Py_ssize_t rows, Py_ssize_t k) { \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            const T *gr = g + r * k, *yr = y + r * k;                                         \
            T *dr = d + r * k;                                                                \
            for (Py_ssize_t j = 0; j < k; j++) dr[j] = gr[j] * yr[j];                         \
            T s = (T)0 + pairwise_##T(dr, k);                                                 \
            for (Py_ssize_t j = 0; j < k; j++) dr[j] = (gr[j] - s) * yr[j];                   \
        }                                                                                     \
    }

SOFTMAX_ROWS(float)
SOFTMAX_ROWS(double)

/* softmax_step(stage, ...): stage 1 (e), rows normalised in place; stage 2 (grad, y, d), d
   written (a new array: neither grad nor y). Matrices (rows, k) of one float dtype. */
PyObject *gn_softmax_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arity[] = {0, 2, 4};
    long stage = read_stage(args, nargs, arity, 2, "softmax_step");
    if (stage < 0) return NULL;
    const char *shape_error = "softmax_step(): expected (rows, classes) matrices";
    Py_buffer a, y, d;
    PyObject *result = NULL;
    if (get_float_matrix(args[1], &a, stage == 1, "a matrix", shape_error) != 0) return NULL;
    Py_ssize_t rows = a.shape[0], k = a.shape[1];
    Kind kind = kind_of(&a);
    if (stage == 1) {
        if (kind == F32) normalize_rows_float(a.buf, rows, k);
        else normalize_rows_double(a.buf, rows, k);
        result = Py_None;
        goto done_a;
    }
    if (get_float_matrix(args[2], &y, 0, "the softmax", shape_error) != 0) goto done_a;
    if (check_matrix(&y, kind, rows * k, "softmax_step(): the softmax") != 0) goto done_y;
    if (get_float_matrix(args[3], &d, 1, "the gradient", shape_error) != 0) goto done_y;
    if (check_matrix(&d, kind, rows * k, "softmax_step(): the gradient") != 0) goto done_d;
    if (d.buf == a.buf || d.buf == y.buf) {
        PyErr_SetString(PyExc_ValueError, "softmax_step(): the gradient must be a new array");
        goto done_d;
    }
    if (kind == F32) softmax_grad_float(a.buf, y.buf, d.buf, rows, k);
    else softmax_grad_double(a.buf, y.buf, d.buf, rows, k);
    result = Py_None;
done_d:
    PyBuffer_Release(&d);
done_y:
    PyBuffer_Release(&y);
done_a:
    PyBuffer_Release(&a);
    Py_XINCREF(result);
    return result;
}

/* ----- sparse cross-entropy from probabilities --------------------------------------------- */
/* losses.py's loops around NumPy's two logs, row by row:
     1. c = minimum(maximum(probs, eps), 1 - eps) (NumPy's NaN rules); inside = (c == probs)
        as 1 or 0; totals = 0 + pairwise sum of c's row; picked = c[row, label]
        (then loss = np.log(totals) - np.log(picked))
     2. backward: t = grad / totals; d = t * inside; d[row, label] = (t - grad / picked) * inside */
#define SPARSE_PROBS(T)                                                                       \
    static void sparse_probs_prepare_##T(const T *probs, const int64_t *labels, T *c, T *inside, \
                                         T *totals, T *picked, Py_ssize_t rows, Py_ssize_t k, \
                                         T eps, T high) {                                     \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            const T *q = probs + r * k;                                                       \
            T *cr = c + r * k, *in = inside + r * k;                                          \
            for (Py_ssize_t j = 0; j < k; j++) {                                              \
                T p = (q[j] > eps || q[j] != q[j]) ? q[j] : eps;                              \
                p = (p < high || p != p) ? p : high;                                          \
                cr[j] = p;                                                                    \
                in[j] = (T)(p == q[j]);                                                       \
            }                                                                                 \
            totals[r] = (T)0 + pairwise_##T(cr, k);                                           \
            picked[r] = cr[labels[r]];                                                        \
        }                                                                                     \
    }                                                                                         \
    static void sparse_probs_grad_##T(const T *grad, const int64_t *labels, const T *totals,  \
                                      const T *picked, const T *inside, T *d, Py_ssize_t rows, \
                                      Py_ssize_t k) {                                         \
        for (Py_ssize_t r = 0; r < rows; r++) {                                               \
            const T *in = inside + r * k;                                                     \
            T *dr = d + r * k;                                                                \
            T t = grad[r] / totals[r];                                                        \
            for (Py_ssize_t j = 0; j < k; j++) dr[j] = t * in[j];                             \
            dr[labels[r]] = (t - grad[r] / picked[r]) * in[labels[r]];                        \
        }                                                                                     \
    }

SPARSE_PROBS(float)
SPARSE_PROBS(double)

/* sparse_probs_step(stage, ...): stage 1 (probs, labels, c, inside, totals, picked, eps,
   high), the last four written; stage 2 (grad, labels, totals, picked, inside, d), d written.
   Matrices (rows, k) and vectors (rows,) of one float dtype; labels int64 in [0, k). */
PyObject *gn_sparse_probs_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arity[] = {0, 9, 7};
    long stage = read_stage(args, nargs, arity, 2, "sparse_probs_step");
    if (stage < 0) return NULL;
    double eps = 0, high = 0;
    if (stage == 1 && read_clip(args[7], args[8], &eps, &high) != 0) return NULL;
    /* the float arrays in order, each a matrix (1) or a vector (0), written (1) or read (0) */
    static const int s1_matrix[] = {1, 1, 1, 0, 0}, s1_written[] = {0, 1, 1, 1, 1};
    static const int s2_matrix[] = {0, 0, 0, 1, 1}, s2_written[] = {0, 0, 0, 0, 1};
    static const int s1_arg[] = {1, 3, 4, 5, 6}, s2_arg[] = {1, 3, 4, 5, 6};
    const int *is_matrix = stage == 1 ? s1_matrix : s2_matrix, *written = stage == 1 ? s1_written : s2_written;
    const int *arg = stage == 1 ? s1_arg : s2_arg;
    Py_buffer views[5], labels;
    int got = 0, have_labels = 0;
    PyObject *result = NULL;
    /* the shape comes from the first matrix: stage 1's probs, stage 2's inside */
    int first = stage == 1 ? 0 : 3;
    if (get_float_matrix(args[arg[first]], &views[first], written[first], "a matrix",
                         "sparse_probs_step(): expected a (rows, classes) matrix") != 0)
        return NULL;
    Py_ssize_t rows = views[first].shape[0], k = views[first].shape[1];
    Kind kind = kind_of(&views[first]);
    for (int i = 0; i < 5; i++) {
        if (i == first) continue;
        if (get_floats(args[arg[i]], &views[i], written[i], "an array") != 0) goto done;
        got |= 1 << i;
        if (check_matrix(&views[i], kind, is_matrix[i] ? rows * k : rows, "sparse_probs_step()") != 0) goto done;
    }
    if (rows && k == 0) {
        PyErr_SetString(PyExc_ValueError, "sparse_probs_step(): no classes");
        goto done;
    }
    if (get_labels(args[2], &labels, rows, k) != 0) goto done;
    have_labels = 1;
    void *b[5];
    for (int i = 0; i < 5; i++) b[i] = views[i].buf;
    if (kind == F32) {
        if (stage == 1)
            sparse_probs_prepare_float(b[0], labels.buf, b[1], b[2], b[3], b[4], rows, k, (float)eps, (float)high);
        else sparse_probs_grad_float(b[0], labels.buf, b[1], b[2], b[3], b[4], rows, k);
    } else {
        if (stage == 1) sparse_probs_prepare_double(b[0], labels.buf, b[1], b[2], b[3], b[4], rows, k, eps, high);
        else sparse_probs_grad_double(b[0], labels.buf, b[1], b[2], b[3], b[4], rows, k);
    }
    result = Py_None;
    Py_INCREF(result);
done:
    if (have_labels) PyBuffer_Release(&labels);
    PyBuffer_Release(&views[first]);
    for (int i = 0; i < 5; i++)
        if (got & (1 << i)) PyBuffer_Release(&views[i]);
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

/* losses.py's loops of binary cross-entropy from logits x (labels z), around NumPy's exp and log1p:
     4. a = -|x|                                   (then e = np.exp(a), l = np.log1p(e))
     5. loss = (maximum(x, 0) - x * z) + l         (maximum as NumPy's: NaN kept, the 0 on a tie)
     6. backward: d = ((x >= 0 ? 1 : e) / (1 + e) - z) * grad */
#define SIGMOID_XENT(T, FABS)                                                                 \
    static void sx_negabs_##T(const T *x, T *a, Py_ssize_t n) {                               \
        for (Py_ssize_t i = 0; i < n; i++) a[i] = -FABS(x[i]); /* NumPy's abs: the sign bit */ \
    }                                                                                         \
    static void sx_loss_##T(const T *x, const T *z, const T *l, T *loss, Py_ssize_t n) {      \
        for (Py_ssize_t i = 0; i < n; i++) {                                                  \
            T top = (x[i] > (T)0 || x[i] != x[i]) ? x[i] : (T)0;                              \
            loss[i] = (top - x[i] * z[i]) + l[i];                                             \
        }                                                                                     \
    }                                                                                         \
    static void sx_grad_##T(const T *x, const T *z, const T *e, const T *grad, T *d,          \
                            Py_ssize_t n) {                                                   \
        for (Py_ssize_t i = 0; i < n; i++)                                                    \
            d[i] = ((x[i] >= (T)0 ? (T)1 : e[i]) / ((T)1 + e[i]) - z[i]) * grad[i];           \
    }

SIGMOID_XENT(float, fabsf)
SIGMOID_XENT(double, fabs)

/* bce_step(stage, arrays..., [eps, high]): from probabilities, stage 1 (probs, z, shifted,
   not_p, not_z, inside, eps, high), 2 (log_shifted, z, log_not_p, not_z, loss), 3 (z, not_z,
   shifted, not_p, inside, grad, d); from logits, 4 (x, a), 5 (x, z, l, loss), 6 (x, z, e,
   grad, d); all of one float dtype and one size; the last of each list is written (stage
   1: the last four). */
PyObject *gn_bce_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    static const int arrays_of[] = {0, 6, 5, 7, 2, 4, 5}, written_from[] = {0, 2, 4, 6, 1, 3, 4},
                     arity[] = {0, 9, 6, 8, 3, 5, 6};
    long stage = read_stage(args, nargs, arity, 6, "bce_step");
    if (stage < 0) return NULL;
    double eps = 0, high = 0;
    if (stage == 1 && read_clip(args[7], args[8], &eps, &high) != 0) return NULL;
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
        switch (stage) {
        case 1: bce_prepare_float(b[0], b[1], b[2], b[3], b[4], b[5], n, (float)eps, (float)high); break;
        case 2: bce_loss_float(b[0], b[1], b[2], b[3], b[4], n); break;
        case 3: bce_grad_float(b[0], b[1], b[2], b[3], b[4], b[5], b[6], n); break;
        case 4: sx_negabs_float(b[0], b[1], n); break;
        case 5: sx_loss_float(b[0], b[1], b[2], b[3], n); break;
        default: sx_grad_float(b[0], b[1], b[2], b[3], b[4], n);
        }
    } else {
        switch (stage) {
        case 1: bce_prepare_double(b[0], b[1], b[2], b[3], b[4], b[5], n, eps, high); break;
        case 2: bce_loss_double(b[0], b[1], b[2], b[3], b[4], n); break;
        case 3: bce_grad_double(b[0], b[1], b[2], b[3], b[4], b[5], b[6], n); break;
        case 4: sx_negabs_double(b[0], b[1], n); break;
        case 5: sx_loss_double(b[0], b[1], b[2], b[3], n); break;
        default: sx_grad_double(b[0], b[1], b[2], b[3], b[4], n);
        }
    }
    result = Py_None;
    Py_INCREF(result);
done:
    for (int i = 0; i < got; i++) PyBuffer_Release(&views[i]);
    return result;
}
