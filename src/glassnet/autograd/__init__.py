"""Floor 2: tensors, the Function contract, the reverse pass, grad mode and tapes."""

from .engine import GraphFreedError as GraphFreedError
from .engine import backward as backward
from .engine import gradients as gradients
from .engine import topological_order as topological_order
from .function import REGISTRY as REGISTRY
from .function import Function as Function
from .grad_mode import enable_grad as enable_grad
from .grad_mode import is_grad_enabled as is_grad_enabled
from .grad_mode import no_grad as no_grad
from .tape import GradientTape as GradientTape
from .tape import grad as grad
from .tensor import Tensor as Tensor
from .tensor import Variable as Variable
from .tensor import as_array as as_array
from .tensor import tensor as tensor
