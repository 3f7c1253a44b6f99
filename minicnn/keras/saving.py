"""model.save / keras.models.load_model: the architecture and the weights in one file, no pickle.

The file is minicnn's own format (mc.save: a zip of .npy arrays and JSON). It holds the model as Keras
describes it -- each layer's class name and get_config(), and which layers feed which -- the weights
in Keras's layouts under "layer/weight" names, and the compile settings. load_model rebuilds the
model from minicnn.keras's own layer classes by name: nothing in the file is ever run as code.

A subclass of Sequential or Model (seed 001's LeNet5) is saved as the Sequential or functional model
it builds, and comes back as that: its Python class is code, which the file does not carry.
"""
import json

import numpy as np

from ..serialization import load, save
from . import activations, initializers, layers as layers_mod, regularizers

FORMAT = "minicnn.keras/1"


def _value(v, where):
    """A constructor argument as JSON: numbers, strings, lists; initializers, regularizers and activations
    by their Keras names; anything else cannot be stored and is named in the error."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_value(x, where) for x in v]
    if isinstance(v, initializers.Initializer):
        return {"class_name": type(v).__name__, "config": {k: _value(x, where) for k, x in vars(v).items()}}
    if isinstance(v, regularizers.L1L2):
        return {"class_name": "L1L2", "config": {"l1": v.l1, "l2": v.l2}}
    if callable(v) and activations.name_of(v) in activations._BY_NAME:
        return activations.name_of(v)
    raise TypeError(f"model.save: {where} has an argument that cannot be stored: {v!r}")


def _restore(v):
    if isinstance(v, dict) and "class_name" in v:
        name, config = v["class_name"], v["config"]
        if name == "L1L2":
            return regularizers.L1L2(**config)
        cls = initializers._BY_NAME.get(name)
        if cls is None:
            raise ValueError(f"load_model: unknown initializer {name!r} in the file")
        obj = cls.__new__(cls)
        obj.__dict__.update(config)
        return obj
    return v


def _source(t):
    """The name of the layer that makes the KerasTensor ``t`` (a Sequential's own input has none)."""
    return t.layer.name if t.layer is not None else None


def _arch(model):
    from .models import Sequential
    entries = []
    for layer in model.layers:
        entry = {"class_name": type(layer).__name__, "name": layer.name}
        if hasattr(layer, "_nodes") and layer is not model:          # a model used as a layer
            entry["class_name"] = "Sequential" if isinstance(layer, Sequential) else "Functional"
            entry["config"] = _arch(layer)
        else:
            entry["config"] = {k: _value(v, f"layer {layer.name!r}") for k, v in layer.get_config().items()}
        node = next((n for n in model._nodes if n.layer is layer), None)
        entry["inbound"] = [_source(i) for i in node.inputs] if node else []
        entries.append(entry)
    arch = {"class_name": "Sequential" if isinstance(model, Sequential) else "Functional", "name": model.name,
            "layers": entries, "trainable": model.trainable,
            "inputs": [_source(t) for t in model._inputs], "outputs": [_source(t) for t in model._outputs],
            "single_output": model._single_output}
    if isinstance(model, Sequential):
        arch["input_shape"] = list(model._input.shape[1:])
    return arch


def _layer_class(name):
    cls = getattr(layers_mod, name, None)
    if not (isinstance(cls, type) and issubclass(cls, layers_mod.Layer)):
        raise ValueError(f"load_model: the file names a layer class {name!r} that minicnn.keras does not have")
    return cls


def _build(arch):
    from .models import Model, Sequential
    made = {}
    for entry in arch["layers"]:
        if entry["class_name"] in ("Sequential", "Functional"):
            made[entry["name"]] = _build(entry["config"])
        elif entry["class_name"] != "InputLayer":
            config = {k: _restore(v) for k, v in entry["config"].items()}
            config.pop("input_shape", None)
            made[entry["name"]] = _layer_class(entry["class_name"])(**config)
    if arch["class_name"] == "Sequential":
        model = Sequential(name=arch["name"])
        model.add(layers_mod.Input(shape=tuple(arch["input_shape"])))
        for entry in arch["layers"]:
            model.add(made[entry["name"]])
    else:
        tensors = {}
        for entry in arch["layers"]:
            if entry["class_name"] == "InputLayer":
                config = entry["config"]
                tensors[entry["name"]] = layers_mod.Input(shape=tuple(config["shape"]), name=entry["name"])
        pending = [e for e in arch["layers"] if e["class_name"] != "InputLayer"]
        while pending:                       # each layer once all that feed it are made
            ready = [e for e in pending if all(n in tensors for n in e["inbound"])]
            if not ready:
                raise ValueError("load_model: the file's layer graph is incomplete or has a cycle")
            for e in ready:
                ins = [tensors[n] for n in e["inbound"]]
                tensors[e["name"]] = made[e["name"]](ins if len(ins) > 1 else ins[0])
                pending.remove(e)
        outs = [tensors[n] for n in arch["outputs"]]
        model = Model([tensors[n] for n in arch["inputs"]] if len(arch["inputs"]) > 1 else tensors[arch["inputs"][0]],
                      outs[0] if arch["single_output"] else outs, name=arch["name"])
    model.trainable = arch["trainable"]
    return model


def save_model(model, filepath):
    """model.save(filepath): the architecture, the weights, the compile settings and the optimizer's state."""
    if not model.built:
        raise ValueError(f"model.save: {model.name} has not been built (its input shape is unknown)")
    state = {"keras_model": json.dumps({"format": FORMAT, "model": _arch(model), "compile": _compile_config(model)}),
             "weights": {name: w for name, w, _ in model._keras_weights()}}
    engine = model.optimizer.engine if model._compiled else None
    if engine is not None and engine.iterations:             # training goes on where it stopped, as Keras's
        state["optimizer"] = {"state": engine.state_dict(), "iterations": engine.iterations}
    save(state, str(filepath))


def _compile_config(model):
    c = model._compiled
    if c is None:
        return None
    opt = c["optimizer"]
    return {"optimizer": {"class_name": type(opt).__name__, "config": {k: v for k, v in vars(opt).items()
                                                                       if isinstance(v, (int, float, bool, str))}},
            "loss": c["loss"].name, "metrics": c["metrics"], "loss_weights": c["loss_weights"]}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):   # noqa: A002 (Keras's name)
    """A model saved by model.save, rebuilt, its weights loaded, compiled as it was (compile=True)."""
    state = load(str(filepath))
    if not isinstance(state, dict) or "keras_model" not in state:
        raise ValueError(f"load_model: {filepath} is not a minicnn.keras model file (written by model.save); "
                         "for weights alone use model.load_weights")
    meta = json.loads(state["keras_model"])
    if meta.get("format") != FORMAT:
        raise ValueError(f"load_model: {filepath} has format {meta.get('format')!r}; this minicnn reads {FORMAT}")
    model = _build(meta["model"])
    mine = model._keras_weights()
    missing = [n for n, _, _ in mine if n not in state["weights"]]
    if missing:
        raise ValueError(f"load_model: {filepath} lacks the weights {', '.join(missing[:5])}")
    model.set_weights([state["weights"][n] for n, _, _ in mine])
    c = meta.get("compile")
    if compile and c is not None:
        from . import optimizers
        opt_cls = getattr(optimizers, c["optimizer"]["class_name"])
        opt = opt_cls.__new__(opt_cls)
        opt.__dict__.update(c["optimizer"]["config"])
        opt.engine = None
        model.compile(optimizer=opt, loss=c["loss"], metrics=c["metrics"], loss_weights=c["loss_weights"])
        if "optimizer" in state:
            model.optimizer.engine.load_state_dict(state["optimizer"]["state"])
            model.optimizer.engine.iterations = int(state["optimizer"]["iterations"])
    return model
