/* The optimizer's step: Adam's update, and the finite check before it. */

#include "kernels.h"

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
PyObject *gn_adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
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
PyObject *gn_all_finite(PyObject *self, PyObject *arrays) {
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
