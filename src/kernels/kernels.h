/* What the kernel files share: the build's SIMD switch, the buffer checks, and the functions
   module.c lists. See module.c for what the kernels promise. */

#ifndef GLASSNET_KERNELS_H
#define GLASSNET_KERNELS_H

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

/* NumPy's sum of a contiguous row, as np.add.reduce(row) forms it: from +0, add the pairwise
   sum (fewer than 8 numbers one by one; up to 128 in 8 running sums combined as a tree;
   longer rows halved at a multiple of 8). */
#define PAIRWISE(T)                                                                           \
    static inline T pairwise_##T(const T *a, Py_ssize_t n) {                                  \
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

PAIRWISE(float)
PAIRWISE(double)

typedef enum { F32, F64, OTHER } Kind;

static inline Kind kind_of(const Py_buffer *view) {
    const char *f = view->format;
    if (f == NULL) return OTHER;
    if (f[0] == '<' || f[0] == '=' || f[0] == '@') f++;
    if (f[0] == 'f' && f[1] == '\0' && view->itemsize == 4) return F32;
    if (f[0] == 'd' && f[1] == '\0' && view->itemsize == 8) return F64;
    return OTHER;
}

/* A C-contiguous float buffer, writable when asked; fills `view` or sets an error. */
static inline int get_floats(PyObject *obj, Py_buffer *view, int writable, const char *what) {
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

/* get_floats for a 2-D array; `message` (a ValueError) when it has another number of axes. */
static inline int get_float_matrix(PyObject *obj, Py_buffer *view, int writable, const char *what,
                                   const char *message) {
    if (get_floats(obj, view, writable, what) != 0) return -1;
    if (view->ndim != 2) {
        PyBuffer_Release(view);
        PyErr_SetString(PyExc_ValueError, message);
        return -1;
    }
    return 0;
}

/* A (rows, units) view of a C-contiguous float buffer of `rows * units` numbers. */
static inline int check_matrix(Py_buffer *view, Kind kind, Py_ssize_t count, const char *what) {
    if (kind_of(view) != kind || view->len != count * view->itemsize) {
        PyErr_Format(PyExc_ValueError, "%s: dtype or size differs from the layer's output", what);
        return -1;
    }
    return 0;
}

/* An int argument that picks one of [low, high] (a mode, an activation); else an error. */
static inline int read_choice(PyObject *obj, long low, long high, const char *error, long *choice) {
    *choice = PyLong_AsLong(obj);
    if (*choice == -1 && PyErr_Occurred()) return -1;
    if (*choice < low || *choice > high) {
        PyErr_SetString(PyExc_ValueError, error);
        return -1;
    }
    return 0;
}

PyObject *gn_adam(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_rmsprop(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_all_finite(PyObject *self, PyObject *arrays);
PyObject *gn_maxpool2d_forward(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_maxpool2d_backward(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_bias_act(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_dense_grad(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_col2im(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_im2col(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_winograd_input(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_winograd_output(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_winograd_gradient(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_xent_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_softmax_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_sparse_probs_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_bce_step(PyObject *self, PyObject *const *args, Py_ssize_t nargs);
PyObject *gn_spin_until(PyObject *self, PyObject *const *args, Py_ssize_t nargs);

#endif
