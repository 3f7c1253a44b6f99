"""keras.preprocessing.image: ImageDataGenerator (flow_from_directory, flow), load_img, img_to_array.

The seeds feed their networks with ``ImageDataGenerator(rescale=1./255).flow_from_directory(dir,
target_size=(224, 224), batch_size=16, class_mode='binary')``: images read from CLASS/ subfolders
(sorted class names give the label indices), resized with PIL's nearest-neighbour filter as Keras
does, scaled, and handed out in batches -- an epoch is ``len(iterator)`` batches, and ``next()``
goes on forever, as Keras's iterators do. Images are read batch by batch, never all at once.

Augmentation: horizontal_flip, vertical_flip, width_shift_range and height_shift_range (with
fill_mode 'nearest', 'constant', 'reflect' or 'wrap'), drawn from minicnn's seeded generator (not
Keras's, so the random choices differ from Keras's); the other augmentations raise an error that
names them.
"""
import math
import os
import warnings

import numpy as np

from ... import backend
from ..utils import array_to_img, img_to_array, load_img, to_categorical  # noqa: F401

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".tif", ".tiff")
_UNSUPPORTED = ("featurewise_center", "samplewise_center", "featurewise_std_normalization",
                "samplewise_std_normalization", "zca_whitening", "rotation_range", "brightness_range",
                "shear_range", "zoom_range", "channel_shift_range")


def _shift(value, size, rng):
    """Keras's *_shift_range: a fraction of the size (float < 1), pixels (int or float >= 1), or a list."""
    if not value:
        return 0
    if isinstance(value, (list, tuple)):
        return int(rng.choice(value))
    if isinstance(value, int) or value >= 1:
        return int(rng.integers(-int(value), int(value) + 1))
    return int(round(rng.uniform(-value, value) * size))


class ImageDataGenerator:
    """ImageDataGenerator(rescale=None, horizontal_flip=False, ..., validation_split=0.0)."""

    def __init__(self, rescale=None, preprocessing_function=None, horizontal_flip=False, vertical_flip=False,
                 width_shift_range=0.0, height_shift_range=0.0, fill_mode="nearest", cval=0.0,
                 validation_split=0.0, data_format=None, dtype="float32", **kwargs):
        warnings.warn("ImageDataGenerator is the TF2-era API, no longer in Keras 3's public API; Keras 3 reads "
                      "image folders with keras.utils.image_dataset_from_directory", stacklevel=2)
        given = sorted(k for k, v in kwargs.items() if v)
        unknown = sorted(k for k in kwargs if k not in _UNSUPPORTED)
        if unknown:
            raise TypeError(f"ImageDataGenerator got an argument Keras does not take: {', '.join(unknown)}")
        if given:
            raise NotImplementedError(f"ImageDataGenerator: {', '.join(given)} is not supported by minicnn.keras; "
                                      "it offers rescale, preprocessing_function, horizontal_flip, vertical_flip, "
                                      "width_shift_range, height_shift_range and validation_split")
        if data_format not in (None, "channels_last"):
            raise NotImplementedError("ImageDataGenerator: minicnn.keras is channels-last")
        if fill_mode not in ("nearest", "constant", "reflect", "wrap"):
            raise ValueError(f"ImageDataGenerator: fill_mode must be 'nearest', 'constant', 'reflect' or 'wrap', "
                             f"got {fill_mode!r}")
        if not 0 <= validation_split < 1:
            raise ValueError(f"ImageDataGenerator: validation_split must be in [0, 1), got {validation_split}")
        self.rescale, self.preprocessing_function = rescale, preprocessing_function
        self.horizontal_flip, self.vertical_flip = horizontal_flip, vertical_flip
        self.width_shift_range, self.height_shift_range = width_shift_range, height_shift_range
        self.fill_mode, self.cval, self.validation_split = fill_mode, cval, validation_split

    def random_transform(self, x, rng):
        """One image (H, W, C) float32, randomly flipped and shifted."""
        if self.horizontal_flip and rng.random() < 0.5:
            x = x[:, ::-1]
        if self.vertical_flip and rng.random() < 0.5:
            x = x[::-1]
        dy, dx = _shift(self.height_shift_range, x.shape[0], rng), _shift(self.width_shift_range, x.shape[1], rng)
        if dy or dx:
            mode = {"nearest": "edge", "constant": "constant", "reflect": "reflect", "wrap": "wrap"}[self.fill_mode]
            pad = ((abs(dy), abs(dy)), (abs(dx), abs(dx)), (0, 0))
            padded = np.pad(x, pad, mode=mode, **({"constant_values": self.cval} if mode == "constant" else {}))
            top, left = abs(dy) - dy, abs(dx) - dx
            x = padded[top:top + x.shape[0], left:left + x.shape[1]]
        return x

    def standardize(self, x):
        """preprocessing_function, then rescale, as Keras applies them."""
        if self.preprocessing_function is not None:
            x = self.preprocessing_function(x)
        if self.rescale:
            x = x * np.float32(self.rescale)
        return x

    def flow_from_directory(self, directory, target_size=(256, 256), color_mode="rgb", classes=None,
                            class_mode="categorical", batch_size=32, shuffle=True, seed=None, save_to_dir=None,
                            interpolation="nearest", subset=None, follow_links=False, **kwargs):
        if save_to_dir is not None or kwargs:
            raise NotImplementedError("flow_from_directory: save_to_dir and "
                                      f"{', '.join(kwargs) or 'its other arguments'} are not supported")
        return DirectoryIterator(directory, self, target_size, color_mode, classes, class_mode, batch_size,
                                 shuffle, seed, interpolation, subset, follow_links)

    def flow(self, x, y=None, batch_size=32, shuffle=True, seed=None, subset=None, sample_weight=None):
        if sample_weight is not None:
            raise NotImplementedError("flow: sample_weight is not supported by minicnn.keras")
        return NumpyArrayIterator(x, y, self, batch_size, shuffle, seed, subset)


class Iterator:
    """Batches of an indexable source: an epoch is len(self) batches; next() runs on forever."""

    def __init__(self, n, batch_size, shuffle, seed):
        if n == 0:
            raise ValueError(f"{type(self).__name__}: no images to iterate over")
        self.n, self.batch_size, self.shuffle = n, int(batch_size), shuffle
        self.rng = np.random.default_rng(seed if seed is not None else int(backend.rng("cpu").integers(2 ** 63)))
        self._order, self._next = None, 0

    def __len__(self):
        return math.ceil(self.n / self.batch_size)

    def on_epoch_end(self):
        self._order = self.rng.permutation(self.n) if self.shuffle else np.arange(self.n)

    def __getitem__(self, i):
        if self._order is None:
            self.on_epoch_end()
        if not 0 <= i < len(self):
            raise IndexError(f"batch {i} of {len(self)}")
        return self._batch(self._order[i * self.batch_size:(i + 1) * self.batch_size])

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]
        self.on_epoch_end()

    def __next__(self):
        if self._next == 0:
            self.on_epoch_end()
        batch = self[self._next]
        self._next = (self._next + 1) % len(self)
        return batch

    def _augment(self, images):
        gen = self.generator
        out = np.empty(images.shape, np.float32)
        for k, im in enumerate(images):
            out[k] = gen.standardize(gen.random_transform(im.astype(np.float32), self.rng))
        return out


class DirectoryIterator(Iterator):
    """flow_from_directory's iterator: ``class_indices``, ``classes`` (the label of every file), ``filenames``."""

    def __init__(self, directory, generator, target_size, color_mode, classes, class_mode, batch_size, shuffle, seed,
                 interpolation, subset, follow_links):
        if class_mode not in ("categorical", "binary", "sparse", "input", None):
            raise ValueError(f"flow_from_directory: class_mode must be 'categorical', 'binary', 'sparse', 'input' or "
                             f"None, got {class_mode!r}")
        if color_mode not in ("rgb", "grayscale", "rgba"):
            raise ValueError(f"flow_from_directory: color_mode must be 'rgb', 'grayscale' or 'rgba', got {color_mode!r}")
        directory = os.fspath(directory)
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"flow_from_directory: {directory} is not a folder")
        self.directory, self.generator = directory, generator
        self.target_size, self.color_mode, self.class_mode = tuple(target_size), color_mode, class_mode
        self.interpolation = interpolation
        names = classes or sorted(d for d in os.listdir(directory) if os.path.isdir(os.path.join(directory, d)))
        self.class_indices = {c: i for i, c in enumerate(names)}
        self.num_classes = len(names)
        files, labels = [], []
        for c in names:
            folder = os.path.join(directory, c)
            found = sorted(os.path.relpath(os.path.join(root, f), directory)
                           for root, _, fs in os.walk(folder, followlinks=follow_links) for f in fs
                           if f.lower().endswith(IMAGE_EXTENSIONS))
            split = generator.validation_split
            if split and subset is not None:
                cut = int(math.ceil(split * len(found)))        # Keras: the first fraction validates
                found = found[:cut] if subset == "validation" else found[cut:]
            files += found
            labels += [self.class_indices[c]] * len(found)
        self.filenames, self.classes = files, np.array(labels, np.int32)
        self.samples = len(files)
        channels = {"rgb": 3, "grayscale": 1, "rgba": 4}[color_mode]
        self.image_shape = self.target_size + (channels,)
        print(f"Found {self.samples} images belonging to {self.num_classes} classes.")
        if class_mode == "binary" and self.num_classes != 2 and self.samples:
            raise ValueError(f"flow_from_directory: class_mode='binary' needs two classes, {directory} has "
                             f"{self.num_classes}: {', '.join(names)}")
        super().__init__(self.samples, batch_size, shuffle, seed)

    def _batch(self, idx):
        images = np.stack([img_to_array(load_img(os.path.join(self.directory, self.filenames[i]),
                                                 color_mode=self.color_mode, target_size=self.target_size,
                                                 interpolation=self.interpolation)) for i in idx])
        x = self._augment(images)
        y = self.classes[idx]
        if self.class_mode is None:
            return x
        if self.class_mode == "input":
            return x, x.copy()
        if self.class_mode == "categorical":
            return x, to_categorical(y, self.num_classes)
        return x, y.astype(np.float32)


class NumpyArrayIterator(Iterator):
    """flow(x, y)'s iterator over arrays already in memory (x: (N, H, W, C))."""

    def __init__(self, x, y, generator, batch_size, shuffle, seed, subset):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(f"flow: x must be images (N, height, width, channels), got shape {x.shape}")
        if y is not None and len(y) != len(x):
            raise ValueError(f"flow: x has {len(x)} images but y has {len(y)} labels")
        split = generator.validation_split
        if split and subset is not None:
            cut = int(math.ceil(split * len(x)))
            keep = slice(0, cut) if subset == "validation" else slice(cut, None)
            x, y = x[keep], (None if y is None else np.asarray(y)[keep])
        self.x, self.y, self.generator = x, (None if y is None else np.asarray(y)), generator
        super().__init__(len(x), batch_size, shuffle, seed)

    def _batch(self, idx):
        x = self._augment(self.x[idx])
        return x if self.y is None else (x, self.y[idx])
