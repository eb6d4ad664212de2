"""mytorch: the core of PyTorch (tensors, autograd, nn, optim, data) in numpy alone.

Names, defaults and numbers follow torch, so ``import mytorch as torch`` runs the usual training
script. The package imports nothing but numpy and the standard library.
"""

# This module re-exports its submodules' public names (F401), including torch's dtype names
# bool, float and int (A004), and imports the subpackages last, after the names they use (I001).
# ruff: noqa: F401, A004, I001

from mytorch import _dtype
from mytorch._creation import (
    arange,
    as_tensor,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    numel,
    ones,
    ones_like,
    rand,
    randint,
    randn,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from mytorch._device import device
from mytorch._dtype import (
    bool,
    double,
    dtype,
    float,
    float16,
    float32,
    float64,
    get_default_dtype,
    half,
    int,
    int8,
    int16,
    int32,
    int64,
    long,
    set_default_dtype,
    short,
    uint8,
)
from mytorch._functions import *  # noqa: F403 - the torch.* operation namespace
from mytorch._random import (
    Generator,
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)
from mytorch._size import Size
from mytorch._tensor import Tensor
from mytorch.autograd import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from mytorch.serialization import load, save

from mytorch import autograd, cuda, utils  # noqa: E402, I001 - subpackages that need the names above
from mytorch import optim  # noqa: E402, I001 - optimizers, built on Tensor
from mytorch import nn  # noqa: E402, I001 - modules and losses, built on the operations

__version__ = "0.1.0"
