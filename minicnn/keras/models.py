"""keras.models: Sequential and the functional Model, trained by minicnn's own fit.

A Model is a minicnn.nn.Module whose children are its layers (named as Keras names them), so its
state_dict, parameters and buffers are the engine's. Its forward runs the layer graph on engine
tensors; the Keras-side methods (compile, fit, evaluate, predict, summary, get_weights) translate
between Keras's conventions and minicnn's:

    compile(optimizer, loss, metrics)   keras.optimizers / keras.losses objects (or their names)
    fit(x, y, batch_size=32, epochs)    minicnn.train.fit on a DataLoader of the arrays; returns a
                                        History with Keras's keys (loss, accuracy, val_loss, ...)
    predict(x)                          the outputs as NumPy arrays, in Keras's layout

A final softmax (sigmoid) is fused into a cross-entropy loss: fit and evaluate run the model to the
logits and the loss takes log_softmax of them (see keras.losses); predict applies the activation.
"""
import warnings

import numpy as np

from .. import train as _train
from ..autograd import no_grad
from ..data import ArrayDataset, DataLoader
from ..nn.module import Module
from ..serialization import load as _load, save as _save
from ..tensor import Tensor
from . import activations, losses as losses_mod, optimizers as optimizers_mod
from .backend import snake_case, unique_name
from .layers import InputLayer, KerasTensor, Layer, _to_engine, _to_keras

ACCURACY_NAMES = ("accuracy", "acc", "categorical_accuracy", "sparse_categorical_accuracy", "binary_accuracy")


def _tf2(old, new):
    warnings.warn(f"{old} is the TF2-era spelling; Keras 3 calls it {new}", stacklevel=3)


class _Node:
    """One layer call of the graph: ``layer(inputs) -> output``."""

    def __init__(self, layer, inputs, output):
        self.layer, self.inputs, self.output = layer, inputs, output


def _graph(inputs, outputs):
    """The layer calls that lead from ``inputs`` to ``outputs``, each after the calls it needs (a depth-first
    walk from the outputs, inputs in order), and the layers in Keras's order: by decreasing depth (the
    longest path to an output), ties in the order the walk first met them (Keras's map_graph)."""
    order, seen, first_seen = [], set(), {}
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        t, ready = stack.pop()
        if id(t) in seen:
            continue
        if t.layer is not None:
            first_seen.setdefault(t.layer, len(first_seen))
        if t.layer is None or isinstance(t.layer, InputLayer):
            if not any(t is i for i in inputs):
                raise ValueError(f"the graph reaches {t} which is not among the model's inputs")
            seen.add(id(t))
            continue
        if ready:
            seen.add(id(t))
            order.append(_Node(t.layer, t.inputs, t))
        else:
            stack.append((t, True))
            stack.extend((i, False) for i in reversed(t.inputs) if id(i) not in seen)
    depth = {}
    for node in reversed(order):
        d = depth.setdefault(node.layer, 0)
        for i in node.inputs:
            if i.layer is not None:
                depth[i.layer] = max(depth.get(i.layer, 0), d + 1)
    for t in inputs:                              # an input no output depends on still counts
        if t.layer is not None:
            depth.setdefault(t.layer, 0)
            first_seen.setdefault(t.layer, -1)
    layers = sorted(depth, key=lambda layer: (-depth[layer], first_seen[layer]))
    # Keras prints a functional model without its "Connected to" column when it is a plain chain:
    # one layer at every depth, none taking more than one input
    levels = [d for d in depth.values()]
    chain = len(set(levels)) == len(levels) and all(len(n.inputs) <= 1 for n in order)
    return order, layers, chain


class Model(Layer):
    """keras.Model(inputs, outputs) (the functional API), or a base class to subclass."""

    def __init__(self, inputs=None, outputs=None, name=None, **kwargs):
        super().__init__(name=name or unique_name(snake_case(type(self).__name__ if type(self) not in (Model,)
                                                             else "functional")), **kwargs)
        self._nodes, self._inputs, self._outputs, self._layer_order = [], [], [], []
        self._compiled, self._logits, self._first_out = None, False, None
        if inputs is not None or outputs is not None:
            self._set_graph(inputs, outputs)

    # ------------------------------------------------------------ the graph
    def _set_graph(self, inputs, outputs):
        self._single_output = not isinstance(outputs, (list, tuple))
        ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        outs = [outputs] if self._single_output else list(outputs)
        for t in ins + outs:
            if not isinstance(t, KerasTensor):
                raise TypeError(f"Model(inputs, outputs) takes symbolic tensors (from keras.Input and layer calls), "
                                f"got {type(t).__name__}")
        self._inputs, self._outputs = ins, outs
        self._nodes, self._layer_order, self._chain = _graph(ins, outs)
        names = [layer.name for layer in self._layer_order]
        for name in names:
            if names.count(name) > 1:
                raise ValueError(f'The name "{name}" is used {names.count(name)} times in the model. All operation '
                                 "names should be unique.")
        for node in self._nodes:
            if node.layer.name not in self._modules:
                self.add_module(node.layer.name, node.layer)
        self.built = True
        self.input_shape = ins[0].shape if len(ins) == 1 else [t.shape for t in ins]
        self.output_shape = outs[0].shape if self._single_output else [t.shape for t in outs]

    @property
    def layers(self):
        """Every layer once, in Keras's order (its InputLayers first; see _graph)."""
        return list(self._layer_order)

    def get_layer(self, name=None, index=None):
        layers = self.layers
        if index is not None:
            return layers[index]
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(f"no layer named {name!r}; the model's layers: {', '.join(l.name for l in layers)}")

    def _keras_call(self, xs):
        """Keras-layout input Tensors in (fit, predict), Keras-layout outputs out (logits when fused)."""
        self._ensure_built(xs[0])
        if len(xs) != len(self._inputs):
            raise ValueError(f"{self.name} takes {len(self._inputs)} input(s), got {len(xs)}")
        engine = []
        for t, x in zip(self._inputs, xs):
            self._check_input(t, x)
            engine.append(_to_engine(x) if x.requires_grad or not isinstance(x, Tensor) else
                          Tensor(np.ascontiguousarray(x.array.transpose(0, 3, 1, 2))) if x.ndim == 4 else x)
        out = Module.__call__(self, *engine)              # forward, with minicnn's hooks (diagnostics)
        outs = [_to_keras(o) for o in (out if isinstance(out, list) else [out])]
        self._first_out, self._last_outs = outs[0], outs
        return outs[0] if self._single_output else tuple(outs)

    def forward(self, *engine_inputs, activate=True):
        """The engine call (engine layout in and out), as every layer's; fit's pass stops before the final
        activation of the outputs whose loss takes it in log space."""
        outs = self._run(list(engine_inputs), self._fused_outputs() if self._logits else ())
        return outs[0] if self._single_output else outs

    def _run(self, engine_inputs, fused=()):
        """The graph on engine-layout tensors; the outputs in ``fused`` stop before their final activation."""
        values = {id(t): x for t, x in zip(self._inputs, engine_inputs)}
        for node in self._nodes:
            args = [values[id(i)] for i in node.inputs]
            if any(node.output is o for o in fused):
                values[id(node.output)] = Module.__call__(node.layer, *args, activate=False)
            else:
                values[id(node.output)] = Module.__call__(node.layer, *args)
        return [values[id(o)] for o in self._outputs]

    def build(self, input_shape):
        if not self.built:
            self._build_from_data(np.zeros((1,) + tuple(input_shape[1:]), np.float32))

    def compute_output_shape(self, input_shape):
        return self.output_shape

    @property
    def input(self):
        """The model's input KerasTensor (a list for several), as Keras's model.input."""
        if not self._inputs:
            return None
        return self._inputs[0] if len(self._inputs) == 1 else list(self._inputs)

    @input.setter
    def input(self, value):
        pass                                      # Layer.__init__ sets it; a model's comes from its graph

    @property
    def output(self):
        if not self._outputs:
            return None
        return self._outputs[0] if self._single_output else list(self._outputs)

    @output.setter
    def output(self, value):
        pass

    def _check_input(self, t, x):
        want, got = tuple(t.shape[1:]), tuple(x.shape[1:])
        if len(want) == len(got) and all(w is None or w == g for w, g in zip(want, got)):
            return
        hint = ""
        if len(got) == 3 and len(want) == 3 and (got[0], got[1], got[2]) == (want[2], want[0], want[1]):
            hint = (" -- these look like channels-first images (N, C, H, W); minicnn.keras is channels-last "
                    "as Keras: x.transpose(0, 2, 3, 1)")
        raise ValueError(f"{self.name}: expected input of shape (batch,) + {want}, got {tuple(x.shape)}{hint}")

    def _ensure_built(self, x):
        if not self.built:
            raise ValueError(f"{self.name} has no layers or no known input shape yet; give the first layer "
                             "input_shape=... or start with keras.Input(shape=...)")

    # ------------------------------------------------------------ compile and the training loop
    def compile(self, optimizer="rmsprop", loss=None, metrics=None, loss_weights=None, **kwargs):
        for k in ("weighted_metrics", "run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"):
            kwargs.pop(k, None)
        if kwargs:
            raise TypeError(f"compile() got an argument Keras 3 does not take: {', '.join(sorted(kwargs))}")
        if loss is None:
            raise ValueError("compile(): give a loss, e.g. loss='categorical_crossentropy'")
        if isinstance(loss, (list, tuple, dict)):
            many = list(loss.values()) if isinstance(loss, dict) else list(loss)
            kinds = {type(losses_mod.get(l)) for l in many}
            if len(kinds) != 1:
                raise NotImplementedError("minicnn.keras trains every output with one loss; got " + repr(loss))
            loss = many[0]
        metric_names = []
        for m in metrics or []:
            name = m if isinstance(m, str) else getattr(m, "name", None)
            if name not in ACCURACY_NAMES:
                raise NotImplementedError(f"metric {m!r} is not offered by minicnn.keras; it has 'accuracy'")
            metric_names.append(name)
        if metric_names and len(self._outputs) > 1:
            raise NotImplementedError("compile: metrics for a model of several outputs are not supported by "
                                      "minicnn.keras (Keras 3 wants one list per output); each output's loss is "
                                      "logged without them")
        if isinstance(loss_weights, dict):
            loss_weights = [loss_weights[o.layer.name] for o in self._outputs]
        self._compiled = {"optimizer": optimizers_mod.get(optimizer), "loss": losses_mod.get(loss),
                          "metrics": metric_names, "loss_weights": loss_weights}
        self.optimizer = self._compiled["optimizer"]
        self.loss = self._compiled["loss"]
        if self.built:
            self.optimizer.build(self.parameters())

    def _fused_outputs(self):
        """The outputs whose final activation the loss takes in log space."""
        if self._compiled is None:
            return ()
        loss = self._compiled["loss"]
        if loss.fuses is None or loss.from_logits:
            return ()
        return [o for o in self._outputs
                if activations.name_of(getattr(o.layer, "activation", None)) == loss.fuses]

    def _need_compiled(self, what):
        if self._compiled is None:
            raise RuntimeError(f"{what}: call model.compile(optimizer=..., loss=...) first")
        if self.optimizer.engine is None:
            self.optimizer.build(self.parameters())

    def _loss_fn(self):
        loss = self._compiled["loss"]
        fused = bool(self._fused_outputs())

        def fn(out, y):
            value = loss.compute(out, y, fused or loss.from_logits)
            if len(self._outputs) > 1:        # Keras logs each output's own loss (main_loss, aux_loss, ...)
                k = next(i for i, o in enumerate(self._last_outs) if o is out)
                self._output_losses[k] = value
            if out is self._first_out:
                for penalty in self._penalties():
                    value = value + penalty
            return value
        self._output_losses = {}
        return fn

    def _output_names(self):
        return [o.layer.name for o in self._outputs]

    def _penalties(self):
        return [p for layer in self.layers if hasattr(layer, "penalty") for p in layer.penalty()]

    def _metric(self, loss):
        """minicnn's correct-count for Keras's accuracy on the fused (logit) or plain outputs."""
        fused = bool(self._fused_outputs()) or loss.from_logits

        def correct(out, y):
            z, t = out.array, y.array
            if z.ndim == 2 and z.shape[1] == 1:
                pred = (z[:, 0] > 0) if fused else (z[:, 0] > 0.5)
                return (pred == (t.reshape(-1) > 0.5)).sum()
            pred = z.argmax(axis=-1)
            if t.ndim == z.ndim:
                t = t.argmax(axis=-1) if t.shape[-1] == z.shape[-1] else t.reshape(pred.shape)
            return (pred == t).sum()
        return correct

    def _arrays(self, x, y, what):
        x = np.asarray(x)
        if x.dtype != np.float32:
            x = x.astype(np.float32)
        if y is None:
            raise ValueError(f"{what}: give the labels y along with x")
        if isinstance(y, dict):
            y = [y[name] for name in self._output_names()]
        if isinstance(y, (list, tuple)) and len(self._outputs) > 1:
            if len(y) != len(self._outputs):
                raise ValueError(f"{what}: the model has {len(self._outputs)} outputs ({', '.join(self._output_names())}) "
                                 f"but y has {len(y)} arrays")
            first = np.asarray(y[0])
            if not all(np.array_equal(first, np.asarray(t)) for t in y[1:]):
                raise NotImplementedError(f"{what}: minicnn.keras trains every output on the same targets (as "
                                          "GoogLeNet's auxiliary heads); give one array, or the same array for each")
            y = first
        y = np.asarray(y)
        if len(x) != len(y):
            raise ValueError(f"{what}: x has {len(x)} samples but y has {len(y)}")
        if self._compiled["loss"].sparse and y.ndim == 2 and y.shape[1] == 1:
            y = y.reshape(-1)                     # (N, 1) class indices, as CIFAR-10's load_data gives them
        if y.dtype.kind == "f" and y.dtype != np.float32:
            y = y.astype(np.float32)
        return x, y

    def _batches(self, data, steps=None):
        """Keras's generators and datasets (NumPy batches, maybe endless) as minicnn's (x, y) Tensor batches;
        a plain generator without ``steps`` has no length (fit's progress bar then counts without a total)."""
        return _SizedBatches(data, steps) if steps is not None or hasattr(data, "__len__") else _Batches(data, steps)

    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None, validation_split=0.0,
            validation_data=None, shuffle=True, class_weight=None, sample_weight=None, initial_epoch=0,
            steps_per_epoch=None, validation_steps=None, validation_batch_size=None, validation_freq=1):
        """Keras's fit on minicnn's loop; returns a History whose keys are Keras's."""
        if class_weight is not None or sample_weight is not None:
            raise NotImplementedError("fit: class_weight and sample_weight are not supported by minicnn.keras")
        if isinstance(x, (list, tuple)) and not hasattr(x, "shape"):
            raise NotImplementedError("fit: minicnn.keras takes one input array")
        if hasattr(x, "shape") or isinstance(x, list):
            if not self.built:
                self._build_from_data(np.asarray(x))
            self._need_compiled("fit")
            x, y = self._arrays(x, y, "fit")
            if validation_split:
                if not 0 < validation_split < 1:
                    raise ValueError(f"fit: validation_split must be in (0, 1), got {validation_split}")
                split = int(np.floor(len(x) * (1.0 - validation_split)))     # the last part, before shuffling
                x, y, validation_data = x[:split], y[:split], (x[split:], y[split:])
            train = DataLoader(ArrayDataset(x, y), batch_size=batch_size or 32, shuffle=bool(shuffle))
        else:
            self._need_compiled("fit")
            if batch_size is not None:
                raise ValueError("fit: do not give batch_size with a generator or dataset: its batches are given")
            train = self._batches(x, steps_per_epoch)
        val = None
        if validation_data is not None:
            if isinstance(validation_data, tuple) and len(validation_data) >= 2:
                vx, vy = self._arrays(validation_data[0], validation_data[1], "validation_data")
                val = DataLoader(ArrayDataset(vx, vy), batch_size=validation_batch_size or batch_size or 32)
            else:
                val = self._batches(validation_data, validation_steps)
        verbose = 1 if verbose == "auto" else int(verbose)
        engine_callbacks = list(callbacks or [])
        for c in engine_callbacks:
            if not isinstance(c, _train.Callback):
                raise TypeError(f"fit: {type(c).__name__} is not a keras.callbacks.Callback")
        loss = self._compiled["loss"]
        loss_fn = self._loss_fn()
        per_output = None
        if len(self._outputs) > 1:         # each output's loss, and validation scored as Keras (all outputs)
            per_output = _PerOutputLosses(self, val)
            engine_callbacks, val = [per_output] + engine_callbacks, None
        self._logits = True
        try:
            hist = _train.fit(self, train, epochs=epochs, optimizer=self.optimizer.engine, loss=loss_fn,
                              validation_data=val, callbacks=engine_callbacks,
                              loss_weights=self._compiled["loss_weights"], initial_epoch=initial_epoch,
                              verbose=verbose, metric=self._metric(loss))
        finally:
            self._logits = False
        self.history = self._keras_history(hist, per_output)
        return self.history

    def _keras_history(self, hist, per_output=None):
        names = self._compiled["metrics"] if len(self._outputs) == 1 else []
        out = _train.History()
        out.history = {}                          # Keras's keys as compiled ('acc' stays 'acc')
        out.epoch = list(hist.epoch)
        keep = {"loss": "loss", "val_loss": "val_loss"}
        for m in names:
            keep.update({"accuracy": m, "val_accuracy": "val_" + m})
        for k, v in hist.history.items():
            if k in keep:
                out.history[keep[k]] = list(v)
        for record in (per_output.records if per_output else []):
            for k, v in record.items():
                out.history.setdefault(k, []).append(v)
        out.model, out.params = self, {"epochs": len(hist.epoch)}
        return out

    def fit_generator(self, generator, *args, **kwargs):
        _tf2("fit_generator()", "fit()")
        return self.fit(generator, *args, **kwargs)

    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", steps=None, return_dict=False, **kwargs):
        """[loss, accuracy] (or the loss alone without metrics), as Keras."""
        self._need_compiled("evaluate")
        if hasattr(x, "shape"):
            x, y = self._arrays(x, y, "evaluate")
            data = DataLoader(ArrayDataset(x, y), batch_size=batch_size or 32)
        else:
            data = self._batches(x, steps)
        values = self._evaluate(data)
        if return_dict:
            return values
        return values["loss"] if len(values) == 1 else list(values.values())

    def _evaluate(self, data):
        """{loss, each output's loss (several outputs), accuracy} over ``data`` in eval mode, as Keras."""
        if len(self._outputs) == 1:
            self._logits = True
            try:
                res = _train.evaluate(self, data, loss=self._loss_fn(), metric=self._metric(self._compiled["loss"]))
            finally:
                self._logits = False
            return {"loss": res["loss"], **{m: res["accuracy"] for m in self._compiled["metrics"]}}
        # several outputs: the weighted total and each output's loss (minicnn's evaluate scores the first only)
        loss_fn, weights = self._loss_fn(), self._compiled["loss_weights"]
        names = self._output_names()
        sums, seen = np.zeros(len(names) + 1), 0
        was = self.training
        self.eval()
        self._logits = True
        try:
            with no_grad():
                for bx, by in data:
                    outs = _train._outputs(self(bx))
                    total = _train._total_loss(outs, by, loss_fn, weights)
                    sums += len(bx) * np.array([total.item()] + [self._output_losses[k].item()
                                                                  for k in range(len(names))])
                    seen += len(bx)
        finally:
            self._logits = False
            self.train(was)
        if not seen:
            raise ValueError("evaluate: the data holds no samples")
        sums /= seen
        return {"loss": float(sums[0]), **{f"{n}_loss": float(v) for n, v in zip(names, sums[1:])}}

    def evaluate_generator(self, generator, *args, **kwargs):
        _tf2("evaluate_generator()", "evaluate()")
        return self.evaluate(generator, *args, **kwargs)

    def predict(self, x, batch_size=None, verbose="auto", steps=None):
        """The model's outputs for every sample (final activations applied), NumPy arrays in Keras's layout."""
        if hasattr(x, "shape") or isinstance(x, list):
            x = np.asarray(x, dtype=np.float32)
            if not self.built:
                self._build_from_data(x)
            batches = [(Tensor(x[i:i + (batch_size or 32)]),) for i in range(0, len(x), batch_size or 32)]
        else:
            batches = ((bx,) for bx, _ in self._batches(x, steps))
        parts = None
        was = self.training
        self.eval()
        try:
            with no_grad():
                for (bx,) in batches:
                    out = self(bx) if isinstance(bx, Tensor) else self(Tensor(bx))
                    outs = [out] if isinstance(out, Tensor) else list(out)
                    parts = parts or [[] for _ in outs]
                    for p, o in zip(parts, outs):
                        p.append(o.numpy())
        finally:
            self.train(was)
        res = [np.concatenate(p) for p in parts or [[np.zeros((0,), np.float32)]]]
        return res[0] if len(res) == 1 else res

    def __call__(self, inputs, training=None):
        if isinstance(inputs, Tensor) or (isinstance(inputs, tuple) and inputs and isinstance(inputs[0], Tensor)):
            xs = inputs if isinstance(inputs, tuple) else (inputs,)
            if not self.built:
                self._build_from_data(xs[0].numpy())
            return self._keras_call(xs)
        if isinstance(inputs, KerasTensor) or (isinstance(inputs, list) and inputs
                                               and isinstance(inputs[0], KerasTensor)):
            return Layer.__call__(self, inputs)       # a model used as a layer of another model
        x = np.asarray(inputs, dtype=np.float32)
        if not self.built:
            self._build_from_data(x)
        was = self.training
        self.train(bool(training))
        try:
            return self._keras_call((Tensor(x),))
        finally:
            self.train(was)

    def predict_generator(self, generator, steps=None, **kwargs):
        _tf2("predict_generator()", "predict()")
        return self.predict(generator, steps=steps)

    def predict_classes(self, x, batch_size=32, verbose=0):
        """TF2's Sequential.predict_classes, removed in Keras 3: the argmax (or p > 0.5 for one unit)."""
        _tf2("predict_classes(x)", "np.argmax(model.predict(x), axis=-1)")
        p = self.predict(x, batch_size=batch_size)
        return (p > 0.5).astype("int32") if p.shape[-1] == 1 else p.argmax(axis=-1)

    def predict_on_batch(self, x):
        return self.predict(x, batch_size=len(x))

    def train_on_batch(self, x, y=None, return_dict=False):
        """One optimizer step on this batch; the batch's loss (and accuracy), as Keras."""
        if not self.built:
            self._build_from_data(np.asarray(x))
        self._need_compiled("train_on_batch")
        x, y = self._arrays(x, y, "train_on_batch")
        loss_fn, metric = self._loss_fn(), self._metric(self._compiled["loss"])
        self._logits = True
        self.train()
        try:
            outs = _train._outputs(self(Tensor(x)))
            loss = _train._total_loss(outs, Tensor(y), loss_fn, self._compiled["loss_weights"])
            self.optimizer.engine.zero_grad()
            loss.backward()
            self.optimizer.engine.step()
            acc = int(metric(outs[0], Tensor(y))) / len(x)
        finally:
            self._logits = False
        values = {"loss": float(loss.item())}
        if len(self._outputs) > 1:
            values.update({f"{n}_loss": float(self._output_losses[k].item())
                           for k, n in enumerate(self._output_names())})
        values.update({m: acc for m in self._compiled["metrics"]})
        return values if return_dict else (values["loss"] if len(values) == 1 else list(values.values()))

    def test_on_batch(self, x, y=None, return_dict=False):
        return self.evaluate(x, y, batch_size=len(x), return_dict=return_dict)

    # ------------------------------------------------------------ weights
    def get_weights(self):
        return [w for layer in self.layers for w in layer.get_weights()]

    def set_weights(self, weights):
        weights = list(weights)
        need = sum(len(layer.get_weights()) for layer in self.layers)
        if len(weights) != need:
            raise ValueError(f"{self.name}: set_weights expects {need} arrays, got {len(weights)}")
        for layer in self.layers:
            n = len(layer.get_weights())
            layer.set_weights(weights[:n])
            weights = weights[n:]

    def _keras_weights(self):
        return [(f"{layer.name}/{n}", w, t and layer.trainable and self.trainable)
                for layer in self.layers for n, w, t in layer._keras_weights()]

    def save_weights(self, filepath, overwrite=True):
        """Every layer's weights in Keras's layouts, in minicnn's pickle-free format (mc.save)."""
        _save({name: w for name, w, _ in self._keras_weights()}, str(filepath))

    def load_weights(self, filepath):
        state = _load(str(filepath))
        mine = self._keras_weights()
        missing = [n for n, _, _ in mine if n not in state]
        if missing:
            raise ValueError(f"{filepath}: holds no weights for {', '.join(missing)}; it was saved from another "
                             "architecture (or with other layer names)")
        values = iter(state[n] for n, _, _ in mine)
        self.set_weights(list(values))

    def save(self, filepath, overwrite=True, **kwargs):
        """The architecture, the weights and the compile settings in one file (keras.models.load_model
        reads it back); minicnn's format, whatever the extension (see saving.py)."""
        from .saving import save_model
        save_model(self, filepath)

    # ------------------------------------------------------------ summary
    def summary(self, line_length=None, positions=None, print_fn=None, **kwargs):
        """Keras 3's table: Layer (type), Output Shape, Param #, then the totals."""
        print_fn = print_fn or print
        if not self.built:
            raise ValueError(f"{self.name} has not been built: its input shape is unknown. Give the first layer "
                             "input_shape=..., start with keras.Input(shape=...), or call it on data first")
        functional = not isinstance(self, Sequential) and not self._chain
        sources = {id(n.output): n.layer.name for n in self._nodes}
        sources.update({id(t): t.layer.name for t in self._inputs if t.layer is not None})
        rows = []
        for layer in self.layers:
            row = [f"{layer.name} ({_type_name(layer)})", _fmt_shape(layer.output_shape),
                   f"{layer.count_params():,}"]
            if functional:                      # Keras's fourth column: where each input comes from
                node = next((n for n in self._nodes if n.layer is layer), None)
                row.append([f"{sources[id(i)]}[0][0]" for i in node.inputs] if node else ["-"])
            rows.append(row)
        lines = [f'Model: "{self.name}"'] + _table(rows, FUNCTIONAL_WIDTHS if functional else WIDTHS)
        total, trainable = self._counts()
        opt = self._compiled["optimizer"].variable_count() if self._compiled else None
        counts = [("Total", total + (opt or 0), 4 * total + (4 * opt + 4 if opt else 0)),
                  ("Trainable", trainable, 4 * trainable), ("Non-trainable", total - trainable, 4 * (total - trainable))]
        if opt is not None:          # Keras counts its optimizer's variables once they exist (int64 iterations)
            counts.append(("Optimizer", opt, 4 * opt + 4))
        for label, n, size in counts:
            lines.append(f" {label} params: {n:,} ({_bytes(size)})")
        for line in lines:
            print_fn(line)

    def _counts(self):
        counts = [layer._counts() for layer in self.layers]
        total, trainable = sum(c[0] for c in counts), sum(c[1] for c in counts)
        return total, trainable if self._trainable else 0

    def _build_from_data(self, x):
        raise ValueError(f"{self.name} has no input shape; start it with keras.Input(shape=...)")


def _type_name(layer):
    """What Keras's summary calls a layer's type: a model built with Model(inputs, outputs) is 'Functional'."""
    return "Functional" if type(layer) is Model else type(layer).__name__


def _fmt_shape(shape):
    if isinstance(shape, list):
        return ", ".join(_fmt_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + ")"


def _bytes(n):
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.2f} {unit}"
        n /= 1024


WIDTHS = (31, 22, 13)                     # Keras 3's column widths at its default line length
FUNCTIONAL_WIDTHS = (19, 17, 10, 17)      # ... and with the "Connected to" column of a functional model
HEADERS = ("Layer (type)", "Output Shape", "Param #", "Connected to")


def _wrap(text, width):
    """Keras's cells wrap at spaces: 'average_pooling2d (AveragePooling2D)' becomes two lines; a word
    longer than the cell is cut with an ellipsis."""
    lines = [""]
    for w in text.split(" "):
        w = w if len(w) <= width else w[:width - 1] + "…"
        if lines[-1] and len(lines[-1]) + 1 + len(w) > width:
            lines.append(w)
        else:
            lines[-1] = f"{lines[-1]} {w}" if lines[-1] else w
    return lines


def _cell_lines(value, width, column):
    if column == 3:                          # one source a line, cut with an ellipsis as Keras does
        items = [v + ("," if k < len(value) - 1 else "") for k, v in enumerate(value)]
        return [v if len(v) <= width else v[:width - 1] + "…" for v in items]
    return _wrap(value, width) if column != 2 else [value]


def _table(rows, widths):
    bar = lambda l, m, r, ch: l + m.join(ch * (w + 2) for w in widths) + r   # noqa: E731
    fmt = lambda cells, sep: sep + sep.join(                                   # noqa: E731
        f" {c:>{w}} " if k == 2 else f" {c:<{w}} " for k, (c, w) in enumerate(zip(cells, widths))) + sep
    out = [bar("┏", "┳", "┓", "━"), fmt(HEADERS[:len(widths)], "┃"), bar("┡", "╇", "┩", "━")]
    for i, row in enumerate(rows):
        if i:
            out.append(bar("├", "┼", "┤", "─"))
        cells = [_cell_lines(v, w, k) for k, (v, w) in enumerate(zip(row, widths))]
        for j in range(max(len(c) for c in cells)):
            out.append(fmt([c[j] if j < len(c) else "" for c in cells], "│"))
    out.append(bar("└", "┴", "┘", "─"))
    return out


class Sequential(Model):
    """keras.Sequential([layers...]) or Sequential() then add(layer); subclassing (seed 001's LeNet5) works."""

    def __init__(self, layers=None, name=None, **kwargs):
        super().__init__(name=name or unique_name(snake_case(type(self).__name__)), **kwargs)
        self._stack, self._input = [], None
        for layer in layers or []:
            self.add(layer)

    def add(self, layer):
        if isinstance(layer, KerasTensor):              # add(keras.Input(shape=...))
            self._input = layer
            self._rebuild()
            return
        if not isinstance(layer, Layer):
            raise TypeError(f"Sequential.add takes a keras layer, got {type(layer).__name__}")
        if isinstance(layer, InputLayer):
            self._input = KerasTensor((None,) + layer.shape, layer, name=layer.name)
            self._rebuild()
            return
        self._stack.append(layer)
        if self._input is None and len(self._stack) == 1:
            if layer._declared_input_shape is not None:
                self._input = KerasTensor((None,) + layer._declared_input_shape, None, name="input")
            elif isinstance(layer, Model) and layer.built and len(layer._inputs) == 1:   # a base model first
                self._input = KerasTensor(layer._inputs[0].shape, None, name="input")
        self._rebuild()

    def pop(self):
        layer = self._stack.pop()
        self.__delattr__(layer.name)
        self._rebuild()
        return layer

    def _rebuild(self):
        if self._input is None or not self._stack:
            return
        t = self._input
        for layer in self._stack:
            t = layer(t)
        self._set_graph(self._input, t)
        if self._compiled is not None and self.optimizer.engine is None:
            self.optimizer.build(self.parameters())

    def _build_from_data(self, x):
        if not self._stack:
            raise ValueError(f"{self.name} has no layers")
        self._input = KerasTensor((None,) + tuple(x.shape[1:]), None, name="input")
        self._rebuild()

    def _ensure_built(self, x):
        if not self.built:
            self._build_from_data(x)

    @property
    def layers(self):
        return list(self._stack)


class _PerOutputLosses(_train.Callback):
    """fit's companion for a model of several outputs: each output's mean loss over the epoch
    (``main_loss``, ``aux_loss``, ...) and the validation scored on every output, put into the epoch's
    logs before the user's callbacks read them, as Keras logs them."""

    def __init__(self, model, validation):
        self.keras_model, self.validation, self.records = model, validation, []

    def on_epoch_begin(self, epoch):
        self.sums, self.seen = None, 0

    def after_backward(self, step, loss):
        k = self.keras_model
        values = np.array([k._output_losses[i].item() for i in range(len(k._outputs))])
        n = len(k._first_out)
        self.sums = values * n if self.sums is None else self.sums + values * n
        self.seen += n

    def on_epoch_end(self, epoch, logs):
        k = self.keras_model
        record = {f"{name}_loss": float(v) / max(self.seen, 1) for name, v in zip(k._output_names(), self.sums)}
        if self.validation is not None:
            was, k._logits = k._logits, False
            try:
                record.update({f"val_{key}": v for key, v in k._evaluate(self.validation).items()})
            finally:
                k._logits = was
        logs.update(record)
        self.records.append(record)


class _Batches:
    """Keras's data sources for fit: an iterable (or a generator, maybe endless) of (x, y) NumPy batches,
    given to minicnn's loop as Tensors; ``steps`` batches an epoch when given (then the source is read
    on where the last epoch stopped, as Keras does with an endless generator)."""

    def __init__(self, source, steps=None):
        self.source, self.steps, self._it = source, steps, None

    def __iter__(self):
        if self.steps is None:
            it = iter(self.source)
            for batch in it:
                yield self._tensors(batch)
            return
        if self._it is None:
            self._it = iter(self.source)
        for _ in range(self.steps):
            try:
                batch = next(self._it)
            except StopIteration:
                self._it = iter(self.source)
                batch = next(self._it)
            yield self._tensors(batch)

    @staticmethod
    def _tensors(batch):
        """(x, y) -> Tensors; a batch of images alone (class_mode=None, predict) -> (x, None)."""
        if isinstance(batch, (tuple, list)):
            x, y = batch[0], batch[1]
            return Tensor(np.asarray(x, dtype=np.float32)), Tensor(np.asarray(y))
        return Tensor(np.asarray(batch, dtype=np.float32)), None


class _SizedBatches(_Batches):
    """_Batches whose epoch length is known: ``steps``, or the source's own length."""

    def __len__(self):
        return self.steps if self.steps is not None else len(self.source)


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):   # noqa: A002 (Keras's name)
    """A model written by model.save: rebuilt from minicnn.keras's layers by name, weights loaded, compiled."""
    from .saving import load_model as _load_model
    return _load_model(filepath, custom_objects, compile, safe_mode)
