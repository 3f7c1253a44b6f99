"""Looking inside a network: activations of named layers, and Keras' VGG layer names.

    fx = FeatureExtractor(vgg16(), ["block1_conv2", "block3_conv3", "block5_pool"])
    maps = fx(x)                      # {"block1_conv2": Tensor (N, 64, 224, 224), ...}

Names are minicnn's dotted paths ("features.30") or, for VGG, Keras' names ("block5_pool"),
so the source's code translates line for line. A Keras conv layer includes its ReLU, so
"blockB_convI" is the output of the ReLU that follows that convolution.
"""
from .. import autograd
from ..nn import module as module_mod


def keras_vgg_names(features, prefix="features"):
    """{'block1_conv1': 'features.1', ..., 'block5_pool': 'features.30'} for a VGG features Sequential."""
    names, block, conv, pending = {}, 1, 0, None
    for i, layer in enumerate(features):
        kind = type(layer).__name__
        if kind == "Conv2d":
            conv += 1
            pending = f"block{block}_conv{conv}"
        elif kind == "ReLU" and pending:
            names[pending] = f"{prefix}.{i}"
            pending = None
        elif kind == "MaxPool2d":
            names[f"block{block}_pool"] = f"{prefix}.{i}"
            block, conv = block + 1, 0
    return names


class FeatureExtractor:
    """Run ``model`` and return the outputs of the named layers (under no_grad unless grad=True)."""

    def __init__(self, model, layers, grad=False):
        self.model, self.grad = model, grad
        aliases = keras_vgg_names(model.features) if hasattr(model, "features") else {}
        self.paths = {}
        for name in layers:
            path = aliases.get(name, name)
            module = model.get_submodule(path)          # KeyError naming the layer if it does not exist
            self.paths[id(module)] = (name, module)

    def __call__(self, x):
        found = {}

        def grab(module, args, out):
            entry = self.paths.get(id(module))
            if entry is not None and entry[1] is module:
                found[entry[0]] = out

        with module_mod.register_module_forward_hook(grab), autograd.set_grad_enabled(
                self.grad and autograd.is_grad_enabled()):
            self.model(x)
        return {name: found[name] for name, _ in self.paths.values()}
