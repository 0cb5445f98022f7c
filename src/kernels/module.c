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

#include "kernels.h"

static PyMethodDef methods[] = {
    {"adam", (PyCFunction)(void (*)(void))gn_adam, METH_FASTCALL,
     "adam(w, grads, m, v, v_hat, c1, c2, alpha, eps): one Adam step over flat buffers."},
    {"rmsprop", (PyCFunction)(void (*)(void))gn_rmsprop, METH_FASTCALL,
     "rmsprop(w, grads, v, m, lr, rho, 1 - rho, momentum, eps): one RMSprop step over flat buffers."},
    {"bias_act", (PyCFunction)(void (*)(void))gn_bias_act, METH_FASTCALL,
     "bias_act(z, bias, mode): the bias and a step of the activation, in place on a matrix."},
    {"dense_grad", (PyCFunction)(void (*)(void))gn_dense_grad, METH_FASTCALL,
     "dense_grad(g, y, act, d, db): d = g * act'(y) from the output y; db = d summed over rows."},
    {"im2col", (PyCFunction)(void (*)(void))gn_im2col, METH_FASTCALL,
     "im2col(x, cols, geometry): a convolution's columns, copied from its input's windows."},
    {"col2im", (PyCFunction)(void (*)(void))gn_col2im, METH_FASTCALL,
     "col2im(cols, gx, geometry): a convolution's input gradient from its columns' gradient."},
    {"winograd_input", (PyCFunction)(void (*)(void))gn_winograd_input, METH_FASTCALL,
     "winograd_input(x, v, geometry): a 3x3 convolution's input tiles, Winograd-transformed."},
    {"winograd_output", (PyCFunction)(void (*)(void))gn_winograd_output, METH_FASTCALL,
     "winograd_output(m, y, bias, relu, geometry): the outputs from Winograd's tile products."},
    {"winograd_gradient", (PyCFunction)(void (*)(void))gn_winograd_gradient, METH_FASTCALL,
     "winograd_gradient(g, z, geometry): an output gradient's tiles, for Winograd's kernel gradient."},
    {"xent_step", (PyCFunction)(void (*)(void))gn_xent_step, METH_FASTCALL,
     "xent_step(stage, ...): the loops of sparse softmax cross-entropy around NumPy's exp and log."},
    {"softmax_step", (PyCFunction)(void (*)(void))gn_softmax_step, METH_FASTCALL,
     "softmax_step(stage, ...): a softmax's row sums and division, or its gradient, around NumPy's exp."},
    {"sparse_probs_step", (PyCFunction)(void (*)(void))gn_sparse_probs_step, METH_FASTCALL,
     "sparse_probs_step(stage, ...): the loops of sparse cross-entropy from probabilities around NumPy's log."},
    {"bce_step", (PyCFunction)(void (*)(void))gn_bce_step, METH_FASTCALL,
     "bce_step(stage, ...): the loops of binary cross-entropy (from probabilities or logits) around NumPy's log."},
    {"all_finite", gn_all_finite, METH_O,
     "all_finite(arrays): whether every number of every array is finite (None: ask NumPy)."},
    {"maxpool2d_forward", (PyCFunction)(void (*)(void))gn_maxpool2d_forward, METH_FASTCALL,
     "maxpool2d_forward(x, out, first, geometry): window maxima and the offset of each one's first."},
    {"maxpool2d_backward", (PyCFunction)(void (*)(void))gn_maxpool2d_backward, METH_FASTCALL,
     "maxpool2d_backward(grad, first, gx, geometry): each window's gradient to its first maximum."},
    {"spin_until", (PyCFunction)(void (*)(void))gn_spin_until, METH_FASTCALL,
     "spin_until(counter, seen, limit_ns, settle_ns): whether an int64 counter changes within limit_ns (spinning without the GIL)."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "glassnet._native", "glassnet's compiled kernels (see glassnet.kernels).",
    -1, methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__native(void) { return PyModule_Create(&module); }
