"""Plots of a training run (matplotlib, imported only here, with the file-only Agg backend)."""
import numpy as np


def _plt():
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_history(history, path):
    """curves.png: accuracy and loss per epoch, training and validation, side by side."""
    plt = _plt()
    h = history.history if hasattr(history, "history") else history
    epochs = np.arange(1, len(h["loss"]) + 1)
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, key, title in ((axes[0], "accuracy", "Accuracy"), (axes[1], "loss", "Loss")):
        ax.plot(epochs, h[key], "o-", label="training")
        if f"val_{key}" in h:
            ax.plot(epochs, h[f"val_{key}"], "s-", label="validation")
        ax.set_title(title)
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
        ax.legend()
    _save(plt, fig, path)


def _save(plt, fig, path):
    """Lay the figure out, write it to ``path`` as a PNG, whole or not at all, and free it."""
    from .serialization import replacing
    try:
        fig.tight_layout()
        with replacing(path) as tmp:
            fig.savefig(tmp, dpi=100, format="png")
    finally:
        plt.close(fig)


def shown(name):
    """A name from the file system as it can be drawn and printed: bytes that are not UTF-8 (kept by
    Python as lone surrogates, e.g. a folder 'caf\\xe9' written in Latin-1) become U+FFFD."""
    return str(name).encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _show(ax, img):
    img = np.asarray(img)
    if img.ndim == 3 and img.shape[0] in (1, 3):
        img = img.transpose(1, 2, 0)
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[..., 0]
    lo, hi = float(img.min()), float(img.max())
    img = (img - lo) / (hi - lo) if hi > lo else img * 0
    ax.imshow(img, cmap="gray" if img.ndim == 2 else None)
    ax.axis("off")


def plot_predictions(images, labels, predictions, class_names, path, rows=5, cols=10):
    """predictions.png: a rows x cols grid of images captioned with the predicted class,
    blue when right and red when wrong (as in the source documents)."""
    plt = _plt()
    n = min(rows * cols, len(images))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.6, rows * 1.8))
    for i, ax in enumerate(np.ravel(axes)):
        if i >= n:
            ax.axis("off")
            continue
        _show(ax, images[i])
        right = int(predictions[i]) == int(labels[i])
        ax.set_title(shown(class_names[int(predictions[i])]), color="blue" if right else "red", fontsize=8)
    wrong = int(np.sum(np.asarray(predictions[:n]) != np.asarray(labels[:n])))
    fig.suptitle(f"predictions on the first {n} test images: {n - wrong} right (blue), {wrong} wrong (red)")
    _save(plt, fig, path)


def confusion_matrix(labels, predictions, num_classes):
    """Counts (num_classes, num_classes): row = true class, column = predicted class."""
    m = np.zeros((num_classes, num_classes), np.int64)
    np.add.at(m, (np.asarray(labels), np.asarray(predictions)), 1)
    return m


def plot_confusion(labels, predictions, class_names, path):
    """confusion.png: counts of true class (rows) vs predicted class (columns)."""
    plt = _plt()
    k = len(class_names)
    m = confusion_matrix(labels, predictions, k)
    size = max(5, 0.5 * k + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ax.imshow(m, cmap="Blues")
    if k <= 20:
        ax.set_xticks(range(k))
        ax.set_xticklabels([shown(c) for c in class_names], rotation=60, ha="right")
        ax.set_yticks(range(k))
        ax.set_yticklabels([shown(c) for c in class_names])
        for i in range(k):
            for j in range(k):
                ax.text(j, i, m[i, j], ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"confusion matrix (accuracy {np.trace(m) / max(m.sum(), 1):.2%})")
    _save(plt, fig, path)
    return m


def plot_filters(weight, path, max_filters=64):
    """The first layer's filters as small images: weight (K, C, R, S); RGB when C == 3, grey otherwise."""
    plt = _plt()
    w = np.asarray(weight.numpy() if hasattr(weight, "numpy") else weight)[:max_filters]
    k = len(w)
    cols = int(np.ceil(np.sqrt(k)))
    rows = int(np.ceil(k / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(cols * 1.1, rows * 1.1), squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < k:
            _show(ax, w[i] if w.shape[1] == 3 else w[i, :1])
        ax.axis("off")
    fig.suptitle(f"{k} filters of {w.shape[1]}x{w.shape[2]}x{w.shape[3]}")
    _save(plt, fig, path)


def plot_feature_maps(maps, path, per_layer=8):
    """Feature maps of one image at several depths: ``maps`` is {layer name: (N, C, H, W) tensor or array}."""
    plt = _plt()
    names = list(maps)
    fig, axes = plt.subplots(len(names), per_layer, figsize=(per_layer * 1.3, len(names) * 1.5), squeeze=False)
    for row, name in zip(axes, names):
        m = maps[name]
        m = np.asarray(m.numpy() if hasattr(m, "numpy") else m)[0]
        for j, ax in enumerate(row):
            if j < len(m):
                _show(ax, m[j])
            ax.axis("off")
        row[0].set_title(f"{name} {tuple(m.shape)}", fontsize=8, loc="left")
    _save(plt, fig, path)


def plot_model(model, input_shape, path):
    """The model's layers as a column of boxes with their output shapes and parameter counts, in the
    order they run (what Keras' plot_model shows; branches such as Inception's appear one after another)."""
    plt = _plt()
    info = model.summary(input_shape, print_fn=None)
    layers = info["layers"]
    params = {n: sum(p.numel() for p in model.get_submodule(n).parameters()) for n, _, _ in layers}
    h = 0.5 * len(layers) + 1
    fig, ax = plt.subplots(figsize=(6, h))
    ax.set_xlim(0, 1)
    ax.set_ylim(-len(layers), 1)
    ax.axis("off")
    ax.text(0.5, 0.5, f"input (None, {', '.join(map(str, input_shape))})", ha="center", va="center",
            bbox=dict(boxstyle="round", fc="#eeeeee"))
    for i, (name, kind, shape) in enumerate(layers):
        y = -i - 0.5
        ax.annotate("", xy=(0.5, y + 0.25), xytext=(0.5, y + 0.75), arrowprops=dict(arrowstyle="->"))
        label = f"{name}: {kind}  ->  (None, {', '.join(map(str, shape[1:]))})"
        if params[name]:
            label += f"  [{params[name]:,} params]"
        ax.text(0.5, y, label, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", fc="#dde8f5" if params[name] else "#f5f5f5"))
    _save(plt, fig, path)


def plot_diagnostics(report, path):
    """diagnostics.png: per layer, the activation std, the share of dead ReLU units and the gradient norm."""
    plt = _plt()
    rows = report["layers"]
    names = [f"{r['layer']} {r['type']}" for r in rows]
    y = np.arange(len(rows))[::-1]
    fig, axes = plt.subplots(1, 3, figsize=(13, 0.3 * len(rows) + 1.8), sharey=True)
    axes[0].barh(y, [r["std"] for r in rows], color="tab:blue")
    axes[0].set_xscale("log")
    axes[0].set_title("activation std")
    axes[1].barh(y, [r["dead"] or 0 for r in rows], color="tab:red")
    axes[1].set_xlim(0, 1)
    axes[1].set_title("dead ReLU units")
    axes[2].barh(y, [r["grad_norm"] or np.nan for r in rows], color="tab:green")
    axes[2].set_xscale("log")
    axes[2].set_title("gradient norm of the layer's weights")
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(names, fontsize=7)
    fig.suptitle(f"loss {report['loss']:.4f}: " + ("; ".join(f.split(":")[0] for f in report["findings"])[:150]
                                                  or "nothing alarming"), fontsize=9)
    _save(plt, fig, path)


def _graph(tensor, names):
    """The define-by-run graph behind ``tensor``: op nodes (Function objects) and leaf tensors,
    with edges input -> op and op -> the op that uses its output. Returns (nodes, edges), each node
    a (key, label, generation, kind)."""
    nodes, edges, seen = {}, [], set()

    def label_of(t):
        return names.get(id(t), f"{tuple(t.shape)}")

    stack = [tensor._ctx]
    if tensor._ctx is None:
        raise ValueError("plot_graph: the tensor has no graph (is it a leaf, or was it made under no_grad?)")
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        if fn.inputs is None:
            raise ValueError("plot_graph: the graph was freed by backward(); draw it before calling backward")
        nodes[id(fn)] = (id(fn), type(fn).__name__, fn.generation, "op")
        for t in fn.inputs:
            if t._ctx is None:
                nodes[id(t)] = (id(t), label_of(t), 0, "leaf")
                edges.append((id(t), id(fn)))
            else:
                edges.append((id(t._ctx), id(fn)))
                stack.append(t._ctx)
    return list(nodes.values()), edges


def plot_graph(tensor, path, names=None):
    """The autograd graph that produced ``tensor``, drawn left to right by generation (the order
    backward walks it in reverse): leaves (grey, named by ``names``: {id(tensor): label}) at the
    left, one box per op. Draw it before backward(), which frees the graph."""
    plt = _plt()
    nodes, edges = _graph(tensor, names or {})
    columns = {}
    for key, label, gen, kind in sorted(nodes, key=lambda n: (n[2], n[1])):
        columns.setdefault(gen, []).append(key)
    pos = {key: (gen, -i + (len(keys) - 1) / 2) for gen, keys in columns.items() for i, key in enumerate(keys)}
    width = max(columns) + 1
    fig, ax = plt.subplots(figsize=(1.9 * width + 1, 1.1 * max(len(k) for k in columns.values()) + 1.2))
    for a, b in edges:
        ax.annotate("", xy=pos[b], xytext=pos[a], zorder=1,
                    arrowprops=dict(arrowstyle="-|>", color="0.35", shrinkA=14, shrinkB=30, mutation_scale=14))
    for key, label, gen, kind in nodes:
        x, y = pos[key]
        text = label if kind == "leaf" else f"{label}\ngeneration {gen}"
        ax.text(x, y, text, ha="center", va="center", fontsize=9, zorder=2,
                bbox=dict(boxstyle="round", fc="#eeeeee" if kind == "leaf" else "#dde8f5"))
    ax.set_xlim(-0.7, width - 0.3)
    ys = [p[1] for p in pos.values()]
    ax.set_ylim(min(ys) - 0.8, max(ys) + 0.8)
    ax.axis("off")
    ax.set_title("autograd graph: leaves on the left, backward runs right to left by generation", fontsize=10)
    _save(plt, fig, path)


def plot_columns(x, kernel_size, path, stride=(1, 1), padding=(0, 0, 0, 0)):
    """im2col as a picture: one input image x (C, H, W) with every cell numbered, and its column
    matrix (C*R*S rows, one column per output pixel) with the same numbers, 0 for padding. Keep x
    small (a 4x4 image and a 3x3 kernel give a 9 x 4 matrix)."""
    from .functional.conv_algorithms.im2col import im2col_reference
    plt = _plt()
    x = np.asarray(x, dtype=np.float64)
    C, H, W = x.shape
    col = im2col_reference(x[None], kernel_size, stride, padding).T          # (C*R*S, OH*OW)
    fig, axes = plt.subplots(1, C + 1, figsize=(2.2 * C + 0.45 * col.shape[1] + 2, max(3, 0.4 * col.shape[0] + 1)),
                             gridspec_kw={"width_ratios": [W] * C + [col.shape[1] * 1.2]})
    for c in range(C):
        ax = axes[c]
        ax.imshow(x[c], cmap="Blues", vmin=0, vmax=max(x.max(), 1))
        for i in range(H):
            for j in range(W):
                ax.text(j, i, f"{x[c, i, j]:g}", ha="center", va="center", fontsize=8)
        ax.set_title(f"input channel {c}")
        ax.set_xticks([])
        ax.set_yticks([])
    ax = axes[C]
    ax.imshow(col, cmap="Blues", vmin=0, vmax=max(x.max(), 1), aspect="auto")
    for i in range(col.shape[0]):
        for j in range(col.shape[1]):
            ax.text(j, i, f"{col[i, j]:g}", ha="center", va="center", fontsize=7)
    R, S = kernel_size
    ax.set_yticks(range(col.shape[0]))
    ax.set_yticklabels([f"c{c} r{r} s{s}" for c in range(C) for r in range(R) for s in range(S)], fontsize=7)
    ax.set_xticks(range(col.shape[1]))
    ax.set_xlabel("output pixel (oh, ow), row-major")
    ax.set_title(f"columns: ({C * R * S}, {col.shape[1]})")
    _save(plt, fig, path)
    return col
