/* The optimizer's step: Adam's and RMSprop's updates, and the finite check before it. */

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

/* ----- RMSprop ---------------------------------------------------------------------------- */
/* The NumPy update (optimizers/rmsprop.py, not centered), per element, with tmp a scratch value:
     tmp = g * g; tmp *= 1 - rho; v *= rho; v += tmp
     tmp = v; tmp += eps; tmp = sqrt(tmp); tmp = g / tmp; tmp *= lr
     [momentum: m *= momentum; m += tmp; w -= m]  else  w -= tmp */
#define RMSPROP_LOOP(T, SQRT)                                                              \
    WIDE_LOOP static void rmsprop_##T(T *restrict w, const T *restrict g, T *restrict v, T *restrict m, \
                            Py_ssize_t n, T lr, T rho, T one_minus_rho, T momentum, T eps) { \
        for (Py_ssize_t i = 0; i < n; i++) {                                               \
            T gi = g[i];                                                                   \
            T vi = v[i] * rho + (gi * gi) * one_minus_rho;                                 \
            v[i] = vi;                                                                     \
            T step = (gi / SQRT(vi + eps)) * lr;                                           \
            if (m) {                                                                       \
                T mi = m[i] * momentum + step;                                             \
                m[i] = mi;                                                                 \
                step = mi;                                                                 \
            }                                                                              \
            w[i] -= step;                                                                  \
        }                                                                                  \
    }

RMSPROP_LOOP(float, sqrtf)
RMSPROP_LOOP(double, sqrt)

/* ----- the shared driver ------------------------------------------------------------------ */
/* One optimizer step over flat buffers: the weights and `n_slots` slot buffers (an entry of
   Py_None is a slot not in use) of one dtype, and `grads` a list of buffers whose sizes add
   up to the weights', read in turn along them (each variable's gradient where the model
   left it: no copy into a flat one). Everything is checked before anything changes; then
   `part` runs on each gradient's stretch, without the GIL. */
#define MAX_SLOTS 3
typedef void (*PartUpdate)(Kind kind, char *w, const char *g, char **slots, Py_ssize_t count,
                           const double *scalars);

static PyObject *flat_update(const char *name, PyObject *weights, PyObject *grads, PyObject **slot_objects,
                             int n_slots, const double *scalars, PartUpdate part) {
    if (!PyList_Check(grads)) {
        PyErr_Format(PyExc_TypeError, "%s(): grads must be a list", name);
        return NULL;
    }
    Py_buffer w, slots[MAX_SLOTS];
    int held = 0;  /* slot buffers acquired so far */
    PyObject *result = NULL;
    if (get_floats(weights, &w, 1, "weights") != 0) return NULL;
    Kind kind = kind_of(&w);
    Py_ssize_t n = w.len / w.itemsize;
    for (; held < n_slots; held++) {
        if (slot_objects[held] == Py_None) {
            slots[held].buf = NULL;
            continue;
        }
        if (get_floats(slot_objects[held], &slots[held], 1, "a slot") != 0) goto release;
        if (kind_of(&slots[held]) != kind || slots[held].len != w.len) {
            PyBuffer_Release(&slots[held]);
            PyErr_Format(PyExc_ValueError, "%s(): weights and slots differ in dtype or size", name);
            goto release;
        }
    }
    Py_ssize_t parts = PyList_GET_SIZE(grads), offset = 0;
    for (Py_ssize_t k = 0; k < parts; k++) {  /* all checked before anything changes */
        Py_buffer g;
        if (get_floats(PyList_GET_ITEM(grads, k), &g, 0, "a gradient") != 0) goto release;
        int same = kind_of(&g) == kind;
        offset += g.len / g.itemsize;
        PyBuffer_Release(&g);
        if (!same) {
            PyErr_Format(PyExc_ValueError, "%s(): a gradient's dtype differs from the weights'", name);
            goto release;
        }
    }
    if (offset != n) {
        PyErr_Format(PyExc_ValueError, "%s(): the gradients hold %zd numbers, the weights %zd", name, offset, n);
        goto release;
    }
    offset = 0;
    for (Py_ssize_t k = 0; k < parts; k++) {
        Py_buffer g;
        if (get_floats(PyList_GET_ITEM(grads, k), &g, 0, "a gradient") != 0) goto release;
        Py_ssize_t count = g.len / g.itemsize;
        if (kind_of(&g) != kind || offset + count > n) {  /* the list changed under us */
            PyBuffer_Release(&g);
            PyErr_Format(PyExc_ValueError, "%s(): gradients differ from the weights in dtype or size", name);
            goto release;
        }
        char *at[MAX_SLOTS];
        for (int s = 0; s < n_slots; s++)
            at[s] = slots[s].buf ? (char *)slots[s].buf + offset * w.itemsize : NULL;
        Py_BEGIN_ALLOW_THREADS
        part(kind, (char *)w.buf + offset * w.itemsize, (const char *)g.buf, at, count, scalars);
        Py_END_ALLOW_THREADS
        PyBuffer_Release(&g);
        offset += count;
    }
    result = Py_None;
    Py_INCREF(result);
release:
    while (held-- > 0)
        if (slots[held].buf) PyBuffer_Release(&slots[held]);
    PyBuffer_Release(&w);
    return result;
}

static int read_scalars(const char *name, PyObject *const *args, int count, double *scalars) {
    for (int i = 0; i < count; i++) scalars[i] = PyFloat_AsDouble(args[i]);
    if (PyErr_Occurred()) return -1;
    (void)name;
    return 0;
}

static void adam_part(Kind kind, char *w, const char *g, char **slots, Py_ssize_t count, const double *s) {
    if (kind == F32)
        adam_float((float *)w, (const float *)g, (float *)slots[0], (float *)slots[1], (float *)slots[2], count,
                   (float)s[0], (float)s[1], (float)s[2], (float)s[3]);
    else
        adam_double((double *)w, (const double *)g, (double *)slots[0], (double *)slots[1], (double *)slots[2],
                    count, s[0], s[1], s[2], s[3]);
}

/* adam(w, grads, m, v, v_hat, c1, c2, alpha, eps): w, m, v (and v_hat, or None) flat buffers of
   one dtype; grads as flat_update reads them. */
PyObject *gn_adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    double scalars[4];
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "adam() takes 9 arguments");
        return NULL;
    }
    if (read_scalars("adam", args + 5, 4, scalars) != 0) return NULL;
    PyObject *slots[3] = {args[2], args[3], args[4]};
    if (slots[0] == Py_None || slots[1] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "adam(): the moments are required");
        return NULL;
    }
    return flat_update("adam", args[0], args[1], slots, 3, scalars, adam_part);
}

static void rmsprop_part(Kind kind, char *w, const char *g, char **slots, Py_ssize_t count, const double *s) {
    if (kind == F32)
        rmsprop_float((float *)w, (const float *)g, (float *)slots[0], (float *)slots[1], count,
                      (float)s[0], (float)s[1], (float)s[2], (float)s[3], (float)s[4]);
    else
        rmsprop_double((double *)w, (const double *)g, (double *)slots[0], (double *)slots[1], count,
                       s[0], s[1], s[2], s[3], s[4]);
}

/* rmsprop(w, grads, v, m, lr, rho, 1 - rho, momentum, eps): w, v (and m, or None without
   momentum) flat buffers of one dtype; grads as flat_update reads them. Not centered. */
PyObject *gn_rmsprop(PyObject *self, PyObject *const *args, Py_ssize_t nargs) {
    double scalars[5];
    if (nargs != 9) {
        PyErr_SetString(PyExc_TypeError, "rmsprop() takes 9 arguments");
        return NULL;
    }
    if (read_scalars("rmsprop", args + 4, 5, scalars) != 0) return NULL;
    PyObject *slots[2] = {args[2], args[3]};
    if (slots[0] == Py_None) {
        PyErr_SetString(PyExc_TypeError, "rmsprop(): the velocity is required");
        return NULL;
    }
    return flat_update("rmsprop", args[0], args[1], slots, 2, scalars, rmsprop_part);
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
