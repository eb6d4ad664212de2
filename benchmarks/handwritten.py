"""A multilayer perceptron in plain numpy with hand-derived gradients.

It is the floor for any numpy autograd: the same arithmetic as mytorch's training update with no
graph, no Tensor objects and no per-operation bookkeeping. The benchmark times it next to mytorch.
"""

import numpy as np


class HandwrittenMLP:
    """Linear layers with tanh or ReLU between them, trained with MiniBGD or AdamW.

    ``weights[i]`` has shape (out, in) and ``biases[i]`` shape (out,), as in ``nn.Linear``. The loss
    is the mean BCE-with-logits for one output unit, else the mean cross entropy over class indices.
    """

    def __init__(self, weights, biases, activation, optimizer, lr, weight_decay=1e-2,
                 betas=(0.9, 0.999), eps=1e-8):
        self.params = [w.copy() for w in weights] + [b.copy() for b in biases]
        self.n_layers = len(weights)
        self.activation = activation
        self.optimizer = optimizer
        self.lr, self.weight_decay, self.betas, self.eps = lr, weight_decay, betas, eps
        self.exp_avg = [np.zeros_like(p) for p in self.params]
        self.exp_avg_sq = [np.zeros_like(p) for p in self.params]
        self.step_count = 0

    def loss_and_grads(self, x, target):
        weights, biases = self.params[:self.n_layers], self.params[self.n_layers:]
        inputs, outputs = [], []
        h = x
        for i, (w, b) in enumerate(zip(weights, biases, strict=True)):
            inputs.append(h)
            z = h @ w.T + b
            if i < self.n_layers - 1:
                h = np.tanh(z) if self.activation == "tanh" else np.maximum(z, 0)
                outputs.append(h)
            else:
                h = z
        logits = h
        n = x.shape[0]

        if logits.shape[1] == 1:
            # mean of (1 - y)·z + softplus(-z); its derivative is sigmoid(z) - y.
            z = logits
            loss = np.mean((1 - target) * z + np.maximum(-z, 0) + np.log1p(np.exp(-np.abs(z))))
            grad = (0.5 * (1 + np.tanh(0.5 * z)) - target) / n
        else:
            shifted = logits - logits.max(axis=1, keepdims=True)
            log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            loss = -log_probs[np.arange(n), target].mean()
            grad = np.exp(log_probs)
            grad[np.arange(n), target] -= 1
            grad /= n

        grads_w, grads_b = [None] * self.n_layers, [None] * self.n_layers
        for i in reversed(range(self.n_layers)):
            grads_w[i] = grad.T @ inputs[i]
            grads_b[i] = grad.sum(axis=0)
            if i > 0:
                grad = grad @ weights[i]
                h = outputs[i - 1]
                grad = grad * (1 - h * h) if self.activation == "tanh" else grad * (h > 0)
        return loss, grads_w + grads_b

    def step(self, grads):
        if self.optimizer == "minibgd":
            for p, g in zip(self.params, grads, strict=True):
                p -= self.lr * g
            return
        self.step_count += 1
        beta1, beta2 = self.betas
        correction1 = 1 - beta1 ** self.step_count
        correction2_sqrt = (1 - beta2 ** self.step_count) ** 0.5
        for p, g, m, v in zip(self.params, grads, self.exp_avg, self.exp_avg_sq, strict=True):
            p *= 1 - self.lr * self.weight_decay
            m += (1 - beta1) * (g - m)
            v *= beta2
            v += (1 - beta2) * g * g
            denom = np.sqrt(v) / correction2_sqrt + self.eps
            p -= (self.lr / correction1) * m / denom

    def update(self, x, target):
        loss, grads = self.loss_and_grads(x, target)
        self.step(grads)
        return loss
