"""Module, Parameter and Sequential: PyTorch's containers, with PyTorch's key names.

A Module owns Parameters (trainable leaf tensors), buffers (state that is not
trained, such as batch norm's running statistics) and child Modules, all
registered by plain attribute assignment, in insertion order. Names nest with
dots, so ``model.state_dict()`` has keys like "features.0.weight" and a PyTorch
state_dict (converted to NumPy arrays) loads key for key.
"""
from collections import OrderedDict, namedtuple

import numpy as np

from .. import backend
from ..tensor import Tensor


_global_forward_hooks = OrderedDict()       # every module's: summary, diagnostics, features, fit's NaN search
_global_forward_pre_hooks = OrderedDict()


class RemovableHandle:
    """What registering a hook returns, as PyTorch's: ``handle.remove()`` takes the hook out again, and
    ``with handle:`` removes it when the block ends."""

    _next_id = 0

    def __init__(self, table):
        self.table, self.id = table, RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        self.table.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
        return False


def _register(table, hook, prepend):
    handle = RemovableHandle(table)
    table[handle.id] = hook
    if prepend:
        table.move_to_end(handle.id, last=False)
    return handle


def register_module_forward_hook(hook):
    """hook(module, args, output) after the forward of every module, until the handle is removed
    (PyTorch's torch.nn.modules.module.register_module_forward_hook). A non-None return replaces
    the output."""
    return _register(_global_forward_hooks, hook, False)


def register_module_forward_pre_hook(hook):
    """hook(module, args) before the forward of every module; a non-None return replaces the arguments
    (a tuple, or one value)."""
    return _register(_global_forward_pre_hooks, hook, False)


def _replaced_args(result, args):
    if result is None:
        return args
    return result if isinstance(result, tuple) else (result,)


def _host_array(v):
    """A state_dict value as a NumPy array: a Tensor, a NumPy or CuPy array, or a number / nested list."""
    if isinstance(v, Tensor):
        v = v.array
    if backend.device_of(v) == "cuda":
        return backend.to_device(v, "cpu")
    return np.asarray(v)


class Parameter(Tensor):
    """A Tensor that a Module registers as trainable (requires_grad=True unless frozen)."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()        # as PyTorch prints one


_IncompatibleKeys = namedtuple("_IncompatibleKeys", ["missing_keys", "unexpected_keys"])
_IncompatibleKeys.__doc__ = """What load_state_dict returns, as PyTorch's does: the model's keys the state lacked and the
state's keys the model lacks (both empty after a strict load)."""


class StateDictError(KeyError):
    """load_state_dict could not load: names every missing, unexpected, mis-shaped or unusable key.
    A KeyError (as before) whose message prints as written, on several lines."""

    def __str__(self):
        return self.args[0] if self.args else ""


class LayerError(ValueError):
    """A ValueError raised inside a layer, carrying the layer's path in the model ("features.3")."""

    def __init__(self, module, message):
        super().__init__(message)
        self.layer = self.module = module       # module: how far up the path has been named
        self.path, self.message = [], message

    def __str__(self):
        where = ".".join(self.path)
        layer = f"'{where}' ({self.layer!r})" if where else repr(self.layer)
        return f"in layer {layer}: {self.message}"


class Module:
    """Base class of every layer and model: subclass it, assign layers in __init__, write forward."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # ---------------------------------------------------------------- registration
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before assigning {name!r}")
        if name in self._buffers and not isinstance(value, (Parameter, Module)):
            self._buffers[name] = value            # re-assigning a buffer keeps it a buffer
            object.__setattr__(self, name, value)
            return
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        for table in (self._parameters, self._buffers, self._modules):
            table.pop(name, None)
        object.__delattr__(self, name)

    def register_buffer(self, name, array):
        """Keep an array (not trained) in the state_dict, e.g. running statistics."""
        self._buffers[name] = array
        object.__setattr__(self, name, array)

    def add_module(self, name, module):
        setattr(self, name, module)

    # ---------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def register_forward_hook(self, hook, *, prepend=False):
        """hook(module, args, output) after each forward of this module (PyTorch's): a non-None return
        replaces the output. Returns a handle; ``handle.remove()`` takes the hook out."""
        return _register(self._forward_hooks, hook, prepend)

    def register_forward_pre_hook(self, hook, *, prepend=False):
        """hook(module, args) before each forward of this module: a non-None return replaces the
        positional arguments (a tuple, or one value). Returns a handle."""
        return _register(self._forward_pre_hooks, hook, prepend)

    def __call__(self, *args, **kwargs):
        if args and isinstance(args[0], np.ndarray):
            raise TypeError(f"{type(self).__name__} got a numpy.ndarray; wrap it with minicnn.tensor(x) "
                            "(or torch.from_numpy(x)) first")
        try:
            pre, post = self.__dict__.get("_forward_pre_hooks"), self.__dict__.get("_forward_hooks")
            if _global_forward_pre_hooks or pre:
                for hook in (*_global_forward_pre_hooks.values(), *(pre or {}).values()):
                    args = _replaced_args(hook(self, args), args)
            out = self.forward(*args, **kwargs)
            if _global_forward_hooks or post:
                for hook in (*_global_forward_hooks.values(), *(post or {}).values()):
                    result = hook(self, args, out)
                    out = out if result is None else result
            return out
        except LayerError as err:             # raised below us: add our child's name to the path
            for name, child in self._modules.items():
                if child is err.module:
                    err.path.insert(0, name)
                    err.module = self
                    break
            raise
        except ValueError as err:             # raised by this layer's own ops
            raise LayerError(self, str(err)) from None

    # ---------------------------------------------------------------- traversal
    def named_modules(self, prefix=""):
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        return iter(self._modules.items())

    def children(self):
        return iter(self._modules.values())

    def named_parameters(self, prefix="", recurse=True):
        seen = set()
        modules = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mod_name, mod in modules:
            for name, p in mod._parameters.items():
                if id(p) not in seen:
                    seen.add(id(p))
                    yield (f"{mod_name}.{name}" if mod_name else name), p

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix=""):
        for mod_name, mod in self.named_modules(prefix):
            for name, b in mod._buffers.items():
                yield (f"{mod_name}.{name}" if mod_name else name), b

    def buffers(self):
        return (b for _, b in self.named_buffers())

    def get_submodule(self, name):
        """The layer at a dotted path, e.g. model.get_submodule("features.0")."""
        mod = self
        for part in name.split(".") if name else []:
            if part not in mod._modules:
                raise KeyError(f"{type(self).__name__} has no layer {name!r} (at {part!r})")
            mod = mod._modules[part]
        return mod

    # ---------------------------------------------------------------- modes
    def train(self, mode=True):
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, flag=True):
        """Freeze (False) or unfreeze (True) every parameter of this module."""
        for p in self.parameters():
            p.requires_grad = bool(flag)
            if not flag:
                p.grad = None
        return self

    def zero_grad(self, set_to_none=True):
        """Forget every parameter's gradient (set_to_none=False: fill it with zeros instead)."""
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call ``fn(module)`` on every submodule, children first, then on self (e.g. to initialize weights)."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    def to(self, *args, device=None, dtype=None, **_ignored):
        """Move every parameter and buffer to ``device`` ("cpu" or "cuda") and/or cast the floating ones
        to ``dtype``, in place: ``to("cuda")``, ``to(torch.float64)``, ``to(device, dtype)``."""
        for a in args:
            if isinstance(a, str):
                device = a
            else:
                dtype = a
        if device is not None:
            device = backend.check_device(device)
            for p in self.parameters():
                p.array = backend.to_device(p.array, device)
                p.grad = None if p.grad is None else backend.to_device(p.grad.array, device)
                p._device = device
            for m in self.modules():
                for name, b in list(m._buffers.items()):
                    if b is not None:
                        m.register_buffer(name, backend.to_device(b, device))
        if dtype is not None:
            dtype = np.dtype(dtype)
            if dtype.kind != "f":
                raise TypeError(f"Module.to() takes a floating dtype, got {dtype}")
            for p in self.parameters():
                p.array = p.array.astype(dtype)
                p.grad = None if p.grad is None else p.grad.array.astype(dtype)
            for m in self.modules():
                for name, b in list(m._buffers.items()):
                    if b is not None and b.dtype.kind == "f":
                        m.register_buffer(name, b.astype(dtype))
        return self

    def cuda(self, device=None):
        return self.to("cuda")

    def cpu(self):
        return self.to("cpu")

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    @property
    def device(self):
        p = next(self.parameters(), None)
        return "cpu" if p is None else p.device

    # ---------------------------------------------------------------- state
    def state_dict(self):
        """Parameters and buffers by dotted name, as arrays (shared with the model, as in PyTorch)."""
        sd = OrderedDict((name, p.array) for name, p in self.named_parameters())
        sd.update(self.named_buffers())
        return sd

    def load_state_dict(self, state_dict, strict=True):
        """Copy arrays into the parameters and buffers with the same names.

        strict=True: every key must match and every shape agree; the error lists
        all missing, unexpected and mis-shaped keys at once. Returns
        _IncompatibleKeys(missing_keys, unexpected_keys), as PyTorch does.
        """
        params = dict(self.named_parameters())
        buffers = {}
        for mod_name, mod in self.named_modules():
            for name in mod._buffers:
                buffers[f"{mod_name}.{name}" if mod_name else name] = (mod, name)
        own = set(params) | set(buffers)
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict expects a dict of arrays (name -> array), got {type(state_dict).__name__}")
        missing = [k for k in list(params) + list(buffers) if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        shaped, unusable, ready = [], [], {}
        for k, v in state_dict.items():              # check and convert everything before writing anything
            if k not in own:
                continue
            cur = params[k].array if k in params else buffers[k][0]._buffers[buffers[k][1]]
            try:
                value = _host_array(v)
            except (TypeError, ValueError) as exc:
                unusable.append(f"{k}: {exc}")
                continue
            if value.dtype.kind not in "biuf":
                unusable.append(f"{k}: holds {value.dtype} values, not numbers")
            elif tuple(value.shape) != tuple(cur.shape):
                shaped.append(f"{k}: model {tuple(cur.shape)}, file {tuple(value.shape)}")
            else:
                ready[k] = (cur, value)
        if shaped or unusable or (strict and (missing or unexpected)):
            lines = []
            if missing:
                lines.append("missing keys: " + ", ".join(missing))
            if unexpected:
                lines.append("unexpected keys: " + ", ".join(unexpected))
            if shaped:
                lines.append("shape mismatch: " + "; ".join(shaped))
            if unusable:
                lines.append("unusable values: " + "; ".join(unusable))
            raise StateDictError(f"load_state_dict into {type(self).__name__} failed, nothing was loaded:\n  "
                                 + "\n  ".join(lines))
        for k, (cur, value) in ready.items():
            cur[...] = backend.to_device(value, backend.device_of(cur)).astype(cur.dtype, copy=False)
            if k in params:
                params[k]._vc[0] += 1               # an in-place change, as PyTorch's copy_ counts it
        return _IncompatibleKeys(missing, unexpected)

    # ---------------------------------------------------------------- display
    def extra_repr(self):
        return ""

    def __repr__(self):
        if not self._modules:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"

    def summary(self, input_shape, batch_size=1, print_fn=print, device=None):
        """Print the Keras-style table for an input of shape ``input_shape`` (C, H, W) and return its numbers."""
        from .summary import summary
        return summary(self, input_shape, batch_size=batch_size, print_fn=print_fn, device=device)


class Sequential(Module):
    """Layers applied in order; named "0", "1", ... (or by an OrderedDict), indexable and sliceable."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (OrderedDict, dict)):
            for name, layer in layers[0].items():
                self.add_module(name, layer)
        else:
            for i, layer in enumerate(layers):
                self.add_module(str(i), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def __getitem__(self, index):
        if isinstance(index, str):
            return self._modules[index]
        items = list(self._modules.items())
        if isinstance(index, slice):
            return Sequential(OrderedDict(items[index]))
        return items[index][1]

    def __setitem__(self, index, layer):
        name = list(self._modules)[index] if isinstance(index, int) else index
        setattr(self, name, layer)

    def append(self, layer):
        self.add_module(str(len(self)), layer)
        return self


class ModuleList(Module):
    """A list of layers whose parameters the parent registers, named "0", "1", ... (torch.nn.ModuleList)."""

    def __init__(self, modules=None):
        super().__init__()
        for m in modules or []:
            self.append(m)

    def _name(self, index):
        names = list(self._modules)
        try:
            return names[index]
        except IndexError:
            raise IndexError(f"ModuleList index {index} out of range for {len(names)} modules") from None

    def __getitem__(self, index):
        if isinstance(index, slice):
            return ModuleList(list(self._modules.values())[index])
        return self._modules[self._name(index)]

    def __setitem__(self, index, module):
        setattr(self, self._name(index), module)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(): call its layers in your own forward()")


class ModuleDict(Module):
    """A dict of layers whose parameters the parent registers, by key (torch.nn.ModuleDict)."""

    def __init__(self, modules=None):
        super().__init__()
        for k, m in (modules.items() if isinstance(modules, dict) else modules or []):
            self.add_module(k, m)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        delattr(self, key)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        for k, m in (modules.items() if isinstance(modules, dict) else modules):
            self.add_module(k, m)

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(): call its layers in your own forward()")
