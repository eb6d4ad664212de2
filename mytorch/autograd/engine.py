"""The backward pass: a topological sort of the graph, then each node's backward in reverse."""

import numpy as np

# A module reference rather than the class, because mytorch._tensor imports this module first.
import mytorch._tensor as _tensor


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``, undoing numpy broadcasting.

    Broadcasting prepends dimensions and stretches size-1 ones, so the gradient of an operand is
    the output's gradient summed over the prepended dimensions and over the stretched ones.
    """
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    elif extra < 0:
        # A closure may return a gradient with fewer dimensions, such as a 0-d sum for an
        # operand of shape (1,). Broadcasting puts the missing dimensions in front.
        grad = np.reshape(grad, (1,) * -extra + np.shape(grad))
    stretched = tuple(i for i, size in enumerate(shape) if size == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad.reshape(shape)


def topological_order(root):
    """Return the non-leaf tensors reachable from ``root``, each after every tensor it depends on.

    The depth-first search keeps its own stack, so graphs deeper than Python's recursion limit
    (a chain of 10,000 operations, say) sort without error. Visited tensors are recorded by their
    ``grad_fn``, which is unique per non-leaf tensor and hashes faster than the tensor itself.
    """
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        tensor, expanded = stack.pop()
        if expanded:
            order.append(tensor)
            continue
        node = tensor.grad_fn
        if node in visited:
            continue
        visited.add(node)
        stack.append((tensor, True))
        for parent in node.inputs:
            if parent is not None and parent.grad_fn is not None and parent.grad_fn not in visited:
                stack.append((parent, False))
    return order


def _accumulate_into_leaf(leaf, grad):
    if leaf.grad is None:
        leaf.grad = _tensor.Tensor._wrap(np.array(grad, copy=True))
    else:
        leaf.grad.data += grad


def _returned_twice(array, grads):
    count = 0
    for other in grads:
        if other is array:
            count += 1
    return count > 1


def run_backward(root, grad, retain_graph=False):
    """Propagate ``grad`` (an ndarray shaped like ``root``) back to every leaf that requires grad.

    Leaves accumulate into ``.grad``; non-leaf tensors keep theirs only after ``retain_grad()``.
    Each node runs once, after all the gradients flowing into it have been summed. Unless
    ``retain_graph`` is set, each node drops its closure after running, which frees the arrays it
    saved, and a second backward through it raises as in torch.
    """
    if root.grad_fn is None:
        _accumulate_into_leaf(root, np.asarray(grad, dtype=root.data.dtype))
        return

    Tensor = _tensor.Tensor  # noqa: N806 - a local alias for the hot loop below
    # Pending gradients are keyed by each tensor's grad_fn: one node per non-leaf tensor.
    pending = {root.grad_fn: grad}
    for tensor in reversed(topological_order(root)):
        node = tensor.grad_fn
        grad = pending.pop(node, None)
        if grad is None:
            continue
        if tensor._retains_grad:
            _accumulate_into_leaf(tensor, np.asarray(grad, dtype=tensor.data.dtype))

        backward = node.backward
        if backward is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Specify retain_graph=True if you "
                "need to backward through the graph a second time."
            )
        if not retain_graph:
            node.backward = None

        grads = backward(grad)
        for parent, parent_grad in zip(node.inputs, grads, strict=True):
            if parent_grad is None or parent is None or not parent.requires_grad:
                continue
            data = parent.data
            if parent_grad.shape != data.shape:
                parent_grad = unbroadcast(parent_grad, data.shape)
            if parent_grad.dtype is not data.dtype and parent_grad.dtype != data.dtype:
                # A float32 input mixed with float64 gets a float32 gradient, as in torch.
                parent_grad = parent_grad.astype(data.dtype)

            parent_node = parent.grad_fn
            if parent_node is None:
                leaf_grad = parent.grad
                if leaf_grad is None:
                    # Later backward calls add into .grad in place, so it must not share memory
                    # with another array. Three kinds of closure result can: the incoming
                    # gradient passed through (the caller's array or another input's gradient),
                    # a view, and one array returned for two inputs. Any other result is a new
                    # array that nothing else references, so the leaf keeps it without a copy.
                    if parent_grad is grad or parent_grad.base is not None \
                            or (len(grads) > 1 and _returned_twice(parent_grad, grads)):
                        parent_grad = np.array(parent_grad, copy=True)
                    parent.grad = Tensor._wrap(parent_grad)
                else:
                    leaf_grad.data += parent_grad
            elif parent_node in pending:
                pending[parent_node] = pending[parent_node] + parent_grad
            else:
                pending[parent_node] = parent_grad
