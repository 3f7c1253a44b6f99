"""Reverse-mode automatic differentiation: the op contract and the graph walk.

Every differentiable op is a :class:`Function` with two array-level methods::

    forward(*arrays, **params)  -> array          (keeps on ``self`` what backward needs)
    backward(grad_out)          -> one gradient per input (an array, or None)

``Function.apply(*tensors)`` runs ``forward`` and, when gradients are wanted,
links the result to the op (``result._ctx``), recording the op's inputs. This
is a define-by-run graph: it is built as Python runs the forward pass.

``backward`` walks that graph once, from the output towards the leaves, in
decreasing *generation* (an op's generation is one more than the largest
generation among its inputs' creators). Popping the highest generation first
guarantees that every consumer of a tensor has handed in its gradient before
the tensor's own creator runs, so gradients from several uses add up. The walk
is a loop over a heap, never recursion, so a chain of 100,000 ops is fine.

Intermediate gradients live only on the op nodes during the walk and are
dropped as soon as they have been used; only leaves that require grad keep
``.grad``. Unless ``retain_graph=True``, each node frees its inputs and saved
arrays once it has run, so the memory of the forward pass is released during
backward, not after it.
"""
import copy
import heapq
import itertools

_grad_enabled = True
profiler = None          # set by minicnn.profiler.profile(): times every forward and backward


class _GradMode:
    """A context manager (and decorator) that sets whether ops record the graph, and puts it back."""

    mode = None

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self.mode

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, func):
        def wrapper(*args, **kwargs):
            with copy.copy(self):                   # a fresh context each call (calls may nest or recurse)
                return func(*args, **kwargs)
        wrapper.__name__ = func.__name__
        wrapper.__doc__ = func.__doc__
        return wrapper


class no_grad(_GradMode):
    """Context manager (and decorator) that stops graph recording.

    Inside it, ops neither link their outputs to the graph nor keep arrays for
    backward: evaluation takes no more memory than the activations in flight.
    """

    mode = False


class enable_grad(_GradMode):
    """Context manager (and decorator) that turns graph recording back on (inside ``no_grad``)."""

    mode = True


class set_grad_enabled(_GradMode):
    """``with set_grad_enabled(False):`` is ``no_grad()``; ``set_grad_enabled(True)`` is ``enable_grad()``."""

    def __init__(self, mode):
        self.mode = bool(mode)


def is_grad_enabled():
    """Whether ops record the graph right now (False inside no_grad())."""
    return _grad_enabled


class Function:
    """Base class of every differentiable op (see the module docstring).

    Attributes set by :meth:`apply`:
      inputs         tuple of input Tensors (only while the graph is alive)
      needs_grad     tuple of bools, one per input: does that input want a gradient?
      generation     topological rank used to order the backward walk
      requires_grad  True when the output is part of a graph (ops may skip
                     saving arrays for backward when it is False)
    """

    generation = 0
    inputs = ()
    grad_out = None
    versions = ()        # (version cell, its value when saved, the tensor or the output's shape) for each saved tensor
    saves = None         # positions of the inputs whose memory backward reads; None: every input
    saves_output = False  # whether backward reads the output's memory (exp, sigmoid, softmax, ...)
    view = False         # whether the output may be a view of input 0 (then it shares its version counter)
    torch_name = None    # PyTorch's name for the node, where it is not the class name's: ReLU -> 'ReluBackward0'
    shown_inputs = None  # what PyTorch's node lists as its inputs, where that differs from ours (see shown_as)

    def name(self):
        """PyTorch's name for this op's backward node: Mul -> 'MulBackward0', ReLU -> 'ReluBackward0'."""
        return self.torch_name or f"{type(self).__name__}Backward0"

    def __repr__(self):
        return f"<{self.name()} object at {hex(id(self))}>"

    @property
    def next_functions(self):
        """PyTorch's view of the graph: for each input, (the node that made it, 0); a leaf that requires grad
        is an AccumulateGrad node, anything else None."""
        inputs = (self.inputs or ()) if self.shown_inputs is None else self.shown_inputs
        return tuple((_node(t), 0) for t in inputs)

    def saved_inputs(self):
        """Positions of the inputs that backward needs as they were in forward (PyTorch's saved tensors):
        an in-place change to one of them before backward is an error (see _check_versions)."""
        return range(len(self.inputs)) if self.saves is None else self.saves

    def forward(self, *arrays, **params):
        raise NotImplementedError

    def backward(self, grad_out):
        raise NotImplementedError

    @classmethod
    def apply(cls, *inputs, **params):
        """Run the op on Tensors and return the resulting Tensor."""
        fn = cls()
        try:
            device = inputs[0]._device
            devices = [t._device for t in inputs[1:]]
        except AttributeError:
            bad = next(t for t in inputs if not isinstance(t, Tensor))
            raise TypeError(f"{cls.__name__}: expected Tensors, got a {type(bad).__name__}; wrap arrays with "
                            "minicnn.tensor(x) (or torch.from_numpy(x)) before calling a model or an op") from None
        for t, dev in zip(inputs[1:], devices):
            if dev != device:
                raise RuntimeError(
                    f"{cls.__name__}: inputs are on different devices ({device} and {dev}); "
                    f"move them to one device with .to('{device}') or .to('{dev}') first")
        fn.requires_grad = requires_grad = _grad_enabled and any(t.requires_grad for t in inputs)
        if profiler is None:
            out = fn.forward(*[t.array for t in inputs], **params)
        else:
            out = profiler.time(cls.__name__, "forward", fn.forward, [t.array for t in inputs], params)
        result = Tensor._wrap(out, device, requires_grad)
        if cls.view and _memory(out) == _memory(inputs[0].array):
            result._vc = inputs[0]._vc           # a view: an in-place change to either is a change to both
        if requires_grad:
            fn.inputs = inputs
            fn.needs_grad = tuple(t.requires_grad for t in inputs)
            fn.generation = 1 + max(t._ctx.generation if t._ctx is not None else 0 for t in inputs)
            fn.versions = tuple((inputs[i]._vc, inputs[i]._vc[0], inputs[i]) for i in fn.saved_inputs())
            if cls.saves_output:
                fn.versions += ((result._vc, result._vc[0], (result.dtype, result.shape)),)
            result._ctx = fn
        return result

    def release(self):
        """Drop the inputs and every array kept for backward (the name stays, as PyTorch's node's)."""
        name = self.__dict__.get("torch_name")    # set by shown_as
        self.__dict__.clear()
        self.inputs = None
        if name:
            self.torch_name = name


def _node(t):
    """The graph node behind ``t`` as PyTorch shows it: its op, an AccumulateGrad for a leaf that
    requires grad, else None (``t`` may already be a node)."""
    if t is None or not isinstance(t, Tensor):
        return t
    return t._ctx if t._ctx is not None else AccumulateGrad(t) if t.requires_grad else None


class ShownNode:
    """A node that PyTorch's graph has and minicnn's has not, shown in ``next_functions`` only: minicnn
    runs linear as one op where PyTorch shows AddmmBackward0 over TBackward0 of the weight."""

    def __init__(self, name, *inputs):
        self._name, self._inputs = name, inputs

    def name(self):
        return self._name

    @property
    def next_functions(self):
        return tuple((_node(t), 0) for t in self._inputs)

    def __repr__(self):
        return f"<{self._name} object at {hex(id(self))}>"


def shown_as(t, name, *inputs):
    """Show the op that made ``t`` under PyTorch's node ``name`` (and, when given, with PyTorch's
    ``inputs``: tensors, None or ShownNodes); where minicnn and PyTorch build the same value from
    different ops, a learner comparing ``grad_fn`` by eye sees PyTorch's graph. Returns ``t``."""
    if t._ctx is not None:
        t._ctx.torch_name = name
        if inputs:
            t._ctx.shown_inputs = inputs
    return t


class AccumulateGrad:
    """The graph node PyTorch shows for a leaf that requires grad: its ``variable`` receives the gradient."""

    def __init__(self, variable):
        self.variable = variable
        self.next_functions = ()

    def name(self):
        return "torch::autograd::AccumulateGrad"

    def __repr__(self):
        return f"<AccumulateGrad object at {hex(id(self))}>"


def _op_name(fn):
    """PyTorch's op name in its messages: 'ReluBackward0' -> 'Relu'."""
    return fn.name().removesuffix("Backward0")


def _check_versions(fn):
    """PyTorch's check: every tensor ``fn`` saved must be as it was in forward. An in-place change since
    (add_, zero_, x[i] = v, copy_, an optimizer step) bumped its version, and backward would read the
    new values and return a wrong gradient, so it raises instead, with PyTorch's words."""
    for cell, saved, who in fn.versions:
        if cell[0] != saved:
            if isinstance(who, Tensor):
                dtype, shape = who.dtype, who.shape
                made = f", which is output 0 of {_op_name(who._ctx)}" if who._ctx is not None else ""
            else:                                # the op's own output
                (dtype, shape), made = who, f", which is output 0 of {_op_name(fn)}"
            raise RuntimeError(
                f"one of the variables needed for gradient computation has been modified by an inplace "
                f"operation: [{dtype} tensor {list(shape)}]{made}, is at version {cell[0]}; expected version "
                f"{saved} instead. Hint: {_op_name(fn)} saved it for backward and it was changed in place "
                "afterwards (add_, mul_, zero_, copy_, x[i] = v, an optimizer step); change a clone() "
                "instead, or make the change after backward()")


def _memory(a):
    """The object that owns an array's memory (the array itself, or the base its views lead to)."""
    while getattr(a, "base", None) is not None:
        a = a.base
    return id(a)


def _give(t, g, handed):
    """Add the gradient ``g`` into ``t.grad``. The first gradient is kept as it is unless something
    else can see its memory: another tensor's .grad (Add hands one array to both inputs), the
    caller's upstream gradient, or a read-only broadcast (Sum's backward); then it is copied, so
    every ``.grad`` owns its memory and may be changed in place. ``handed``: the memory given out."""
    if t._grad is None:
        # CuPy's flags have no "writeable": its broadcast views are new arrays, caught by _memory
        if _memory(g) in handed or not getattr(g.flags, "writeable", True):
            g = g.copy(order="K")                 # "K": keep the layout (batch-last stays batch-last)
        t._grad = Tensor._wrap(g, t._device, False)
    else:
        t._grad = Tensor._wrap(t._grad.array + g, t._device, False)
    handed.add(_memory(g))


def backward(tensor, grad, retain_graph=False):
    """Accumulate d(tensor)/d(leaf) * grad into the ``.grad`` of every leaf that requires grad."""
    handed = {_memory(grad)}                     # memory that a .grad or the caller already holds
    root = tensor._ctx
    if root is None:                             # backward on a leaf: its gradient is the upstream one
        _give(tensor, grad, handed)
        return
    root.grad_out = grad
    tie = itertools.count()                      # breaks ties between equal generations
    heap = [(-root.generation, next(tie), root)]
    while heap:
        fn = heapq.heappop(heap)[2]
        if fn.inputs is None:
            raise RuntimeError(
                "backward through a graph that was already freed: call backward(retain_graph=True) "
                "the first time to walk the same graph twice")
        if fn.versions:
            _check_versions(fn)
        if profiler is None:
            grads = fn.backward(fn.grad_out)
        else:
            grads = profiler.time(type(fn).__name__, "backward", fn.backward, [fn.grad_out], {})
        if not isinstance(grads, tuple):
            grads = (grads,)
        fn.grad_out = None
        for t, g, needed in zip(fn.inputs, grads, fn.needs_grad):
            if g is None or not needed:
                continue
            creator = t._ctx
            if creator is None:                  # a leaf
                _give(t, g, handed)
                continue
            if t.retains_grad:
                _give(t, g, handed)
            if creator.grad_out is None:         # first gradient for this tensor: schedule its op
                creator.grad_out = g
                heapq.heappush(heap, (-creator.generation, next(tie), creator))
            else:                                # used twice or more: gradients add up
                creator.grad_out = creator.grad_out + g
        if not retain_graph:
            fn.release()


from .tensor import Tensor  # noqa: E402  (Tensor needs Function; Function needs Tensor)
