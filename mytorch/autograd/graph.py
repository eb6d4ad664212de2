"""Graph nodes: what an operation leaves behind so that backward can run it in reverse.

Each differentiable operation computes its output with numpy and, when some input requires grad and
grad mode is on, attaches a :class:`Node` to the output as its ``grad_fn``. The node keeps the
operation's inputs and a ``backward`` closure that maps the gradient of the output to one gradient
per input (``None`` where an input gets none). A closure may return a gradient in the broadcast
shape of the output; the engine reduces it to the input's shape, so no operation repeats that step.
A closure must not return an array that it also keeps, such as one saved from the forward pass,
because the engine may keep a new array as a leaf's ``.grad`` without a copy and add into it later.
"""


class Node:
    """The ``grad_fn`` of a tensor: the operation that made it and how to differentiate it."""

    __slots__ = ("_name", "inputs", "backward", "__weakref__")

    def __init__(self, name, inputs, backward):
        self._name = name
        self.inputs = inputs  # tensors or None (for Python numbers and arrays), in argument order
        self.backward = backward  # set to None once run, unless the graph is retained

    def name(self):
        """Return the operation's torch-style name, such as ``"AddBackward0"``."""
        return self._name

    @property
    def next_functions(self):
        """The ``grad_fn`` of each input with its output index, as in torch.

        Leaves and constants appear as ``(None, 0)``; torch shows an ``AccumulateGrad`` node there.
        """
        return tuple((None if t is None else t.grad_fn, 0) for t in self.inputs)

    def __repr__(self):
        return f"<{self._name} object at {id(self):#x}>"
