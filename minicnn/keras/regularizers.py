"""keras.regularizers: a weight penalty added to the loss (l2(0.01) adds 0.01 * sum(w^2))."""


class Regularizer:
    """A penalty on a weight, added to the loss: call it on the weight Tensor."""

    def __call__(self, w):
        raise NotImplementedError


class L1L2(Regularizer):
    """L1L2(l1=0.0, l2=0.0): l1 * sum(|w|) + l2 * sum(w^2)."""

    def __init__(self, l1=0.0, l2=0.0):
        self.l1, self.l2 = float(l1), float(l2)

    def __call__(self, w):
        term = 0.0
        if self.l1:
            term = term + w.abs().sum() * self.l1
        if self.l2:
            term = term + (w * w).sum() * self.l2
        return term


class L1(L1L2):
    """L1(l1=0.01): l1 * sum(|w|)."""

    def __init__(self, l1=0.01):
        super().__init__(l1=l1)


class L2(L1L2):
    """L2(l2=0.01): l2 * sum(w^2) (Keras's, without the 1/2 of weight decay)."""

    def __init__(self, l2=0.01):
        super().__init__(l2=l2)


l1, l2, l1_l2 = L1, L2, L1L2


def get(identifier):
    """A regularizer from None, an instance, 'l1' / 'l2' or a callable(weight)."""
    if identifier is None or isinstance(identifier, Regularizer):
        return identifier
    if identifier in ("l1", "l2"):
        return {"l1": L1, "l2": L2}[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"unknown regularizer {identifier!r}; use keras.regularizers.l2(0.01) or l1(...)")
