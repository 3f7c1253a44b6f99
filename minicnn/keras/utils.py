"""keras.utils: to_categorical, and the image helpers the seeds call."""
import numpy as np


def to_categorical(x, num_classes=None):
    """Class indices -> one-hot float32 rows (N, num_classes); (N, 1) indices are taken as (N,)."""
    x = np.asarray(x)
    if x.ndim > 1 and x.shape[-1] == 1:
        x = x.reshape(x.shape[:-1])
    if x.dtype.kind == "f":
        if np.any(x != np.round(x)):
            raise ValueError("to_categorical: expects whole-number class indices")
        x = x.astype(np.int64)
    if x.size and x.min() < 0:
        raise ValueError(f"to_categorical: class indices must be >= 0, got {int(x.min())}")
    n = int(x.max()) + 1 if num_classes is None else int(num_classes)
    if x.size and x.max() >= n:
        raise ValueError(f"to_categorical: index {int(x.max())} is out of range for num_classes={n}")
    out = np.zeros(x.shape + (n,), np.float32)
    np.put_along_axis(out, x[..., None].astype(np.int64), 1.0, axis=-1)
    return out


def load_img(path, color_mode="rgb", target_size=None, interpolation="nearest", keep_aspect_ratio=False):
    """One image file as a PIL image (as Keras), converted to ``color_mode`` and resized to
    ``target_size`` (height, width) with PIL's ``interpolation`` filter (Keras's default: nearest)."""
    from PIL import Image
    filters = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
               "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}
    if interpolation not in filters:
        raise ValueError(f"load_img: interpolation must be one of {', '.join(filters)}, got {interpolation!r}")
    modes = {"rgb": "RGB", "grayscale": "L", "rgba": "RGBA"}
    if color_mode not in modes:
        raise ValueError(f"load_img: color_mode must be 'rgb', 'grayscale' or 'rgba', got {color_mode!r}")
    if keep_aspect_ratio:
        raise NotImplementedError("load_img(keep_aspect_ratio=True) is not supported by minicnn.keras")
    with Image.open(path) as im:
        im = im.convert(modes[color_mode])
        if target_size is not None and im.size != (target_size[1], target_size[0]):
            im = im.resize((target_size[1], target_size[0]), filters[interpolation])
        im.load()
        return im


def img_to_array(img, data_format=None, dtype="float32"):
    """A PIL image as an array (height, width, channels), float32 by default."""
    x = np.asarray(img, dtype=dtype)
    return x[..., None] if x.ndim == 2 else x


def array_to_img(x, data_format=None, scale=True):
    """An array (height, width, channels) as a PIL image; ``scale`` stretches it to 0..255 first."""
    from PIL import Image
    x = np.asarray(x, dtype=np.float32)
    if scale:
        x = x - x.min()
        top = x.max()
        x = x / top * 255 if top > 0 else x
    x = np.clip(x, 0, 255).astype(np.uint8)
    return Image.fromarray(x[..., 0] if x.shape[-1] == 1 else x)


class _DirectoryDataset:
    """What image_dataset_from_directory returns: batches of (images float32 (N, H, W, C) in 0..255,
    labels), ``class_names``, ``len()`` batches an epoch."""

    def __init__(self, files, labels, class_names, label_mode, image_size, color_mode, batch_size, shuffle, seed,
                 interpolation):
        self.files, self.labels, self.class_names = files, labels, class_names
        self.label_mode, self.image_size, self.color_mode = label_mode, tuple(image_size), color_mode
        self.batch_size, self.shuffle, self.interpolation = batch_size, shuffle, interpolation
        self.rng = np.random.default_rng(seed)

    def __len__(self):
        return -(-len(self.files) // self.batch_size)

    def __iter__(self):
        order = self.rng.permutation(len(self.files)) if self.shuffle else np.arange(len(self.files))
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            x = np.stack([img_to_array(load_img(self.files[j], self.color_mode, self.image_size, self.interpolation))
                          for j in idx])
            y = self.labels[idx]
            if self.label_mode == "categorical":
                y = to_categorical(y, len(self.class_names))
            elif self.label_mode == "binary":
                y = y.astype(np.float32)[:, None]
            yield (x, y) if self.label_mode is not None else x


def image_dataset_from_directory(directory, labels="inferred", label_mode="int", class_names=None, color_mode="rgb",
                                 batch_size=32, image_size=(256, 256), shuffle=True, seed=None, validation_split=None,
                                 subset=None, interpolation="bilinear", follow_links=False, **kwargs):
    """Batches of the images in CLASS/ subfolders of ``directory``, resized to ``image_size``.

    Keras resizes with TensorFlow's bilinear filter; minicnn.keras with PIL's, which smooths when it
    shrinks an image: pixel values differ slightly from Keras's."""
    import os
    if labels != "inferred" or kwargs:
        raise NotImplementedError("image_dataset_from_directory: only labels='inferred' (from the subfolders) is "
                                  "supported by minicnn.keras")
    if label_mode not in ("int", "categorical", "binary", None):
        raise ValueError(f"label_mode must be 'int', 'categorical', 'binary' or None, got {label_mode!r}")
    directory = os.fspath(directory)
    names = list(class_names or sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d))))
    files, ys = [], []
    for k, c in enumerate(names):
        for root, _, fs in sorted(os.walk(os.path.join(directory, c), followlinks=follow_links)):
            for f in sorted(fs):
                if f.lower().endswith((".png", ".jpg", ".jpeg", ".bmp", ".gif")):
                    files.append(os.path.join(root, f))
                    ys.append(k)
    print(f"Found {len(files)} files belonging to {len(names)} classes.")
    if not files:
        raise ValueError(f"image_dataset_from_directory: no images in the class folders of {directory}")
    labels_arr = np.array(ys, np.int64)
    if validation_split:
        if subset not in ("training", "validation"):
            raise ValueError("image_dataset_from_directory: with validation_split give subset='training' or "
                             "'validation'")
        order = np.random.default_rng(seed if seed is not None else 1337).permutation(len(files))
        cut = int(len(files) * (1 - validation_split))
        keep = order[:cut] if subset == "training" else order[cut:]
        files, labels_arr = [files[i] for i in keep], labels_arr[keep]
        print(f"Using {len(files)} files for {subset}.")
    return _DirectoryDataset(files, labels_arr, names, label_mode, image_size, color_mode, batch_size, shuffle, seed,
                             interpolation)


def plot_model(model, to_file="model.png", show_shapes=False, show_layer_names=True, dpi=96, **kwargs):
    """A picture of the model's layers, one box per layer from the input down, arrows for the connections
    (Keras draws it with Graphviz; minicnn.keras with matplotlib, no Graphviz needed). Returns the path."""
    import matplotlib
    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt
    layers = model.layers
    rows = {layer: i for i, layer in enumerate(layers)}
    height = 0.6 * len(layers) + 0.5
    fig, ax = plt.subplots(figsize=(5.5, height), dpi=dpi)
    ax.set_xlim(0, 1)
    ax.set_ylim(-len(layers), 0.5)
    ax.axis("off")
    for layer, i in rows.items():
        text = f"{layer.name} ({type(layer).__name__})" if show_layer_names else type(layer).__name__
        if show_shapes and layer.output_shape is not None:
            text += f"\n{layer.input_shape} -> {layer.output_shape}"
        ax.text(0.5, -i, text, ha="center", va="center", fontsize=8,
                bbox=dict(boxstyle="round", facecolor="#eef3fa", edgecolor="#6a8fc7"))
    nodes = {n.layer: n for n in getattr(model, "_nodes", [])}
    for layer, i in rows.items():
        node = nodes.get(layer)
        sources = [t.layer for t in node.inputs] if node else ([layers[i - 1]] if i else [])
        for src in sources:
            if src in rows:
                ax.annotate("", xy=(0.5, -i + 0.25), xytext=(0.5, -rows[src] - 0.25),
                            arrowprops=dict(arrowstyle="->", color="#667"))
    fig.savefig(to_file, bbox_inches="tight")
    plt.close(fig)
    return to_file
