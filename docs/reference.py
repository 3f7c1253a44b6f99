"""What the API reference documents: its modules, where each public name is shown, and the rule for
a name's own docstring. docs/conf.py builds the pages from these; tests/test_docs.py checks that
every module of the package is listed and every public name has a docstring of its own."""
import inspect

# the modules of the API reference, in reading order (the README's learning path)
MODULES = [
    "minicnn", "minicnn.tensor", "minicnn.printing", "minicnn.autograd", "minicnn.ops", "minicnn.functional", "minicnn.functional.math",
    "minicnn.functional.conv_algorithms.im2col", "minicnn.layout", "minicnn.workspace", "minicnn.functional.conv", "minicnn.functional.conv_algorithms",
    "minicnn.functional.conv_algorithms.reference", "minicnn.functional.conv_algorithms.im2col_channel_first",
    "minicnn.functional.conv_algorithms.im2col_batch_last", "minicnn.functional.conv_algorithms.winograd",
    "minicnn.functional.conv_algorithms.winograd_conv", "minicnn.functional.conv_algorithms.grouped",
    "minicnn.functional.conv_algorithms.choice", "minicnn.functional.conv_algorithms.common", "minicnn.functional.pool",
    "minicnn.functional.norm", "minicnn.functional.activation", "minicnn.functional.dropout",
    "minicnn.functional.linear", "minicnn.functional.loss", "minicnn.gradcheck", "minicnn.backend", "minicnn.cpu_tuning", "minicnn.threads",
    "minicnn.cuda", "minicnn.cuda_kernels", "minicnn.nn", "minicnn.nn.init", "minicnn.nn.utils", "minicnn.optim",
    "minicnn.optim.lr_scheduler", "minicnn.data", "minicnn.data.datasets", "minicnn.data.transforms",
    "minicnn.models", "minicnn.train", "minicnn.diagnostics", "minicnn.profiler", "minicnn.plot",
    "minicnn.serialization", "minicnn.configuration", "minicnn.environment", "minicnn.pretrained", "minicnn.distributed",
    "minicnn.keras", "minicnn.keras.layers", "minicnn.keras.models", "minicnn.keras.optimizers",
    "minicnn.keras.losses", "minicnn.keras.metrics", "minicnn.keras.callbacks", "minicnn.keras.initializers",
    "minicnn.keras.regularizers", "minicnn.keras.activations", "minicnn.keras.utils", "minicnn.keras.backend",
    "minicnn.keras.saving", "minicnn.keras.preprocessing.image", "minicnn.keras.applications",
    "minicnn.keras.applications.imagenet_utils", "minicnn.keras.datasets", "minicnn.backends.cudnn",
    "minicnn.vision.utils",
]

# pages that point to others a reader of them needs
SEE_ALSO = {"minicnn": ["minicnn.ops", "minicnn.functional", "minicnn.nn"],
            "minicnn.ops": ["minicnn"], "minicnn.functional": ["minicnn.nn"]}

# modules whose public names appear on their package's page (the name a user imports them by)
SHOWN_ON = {
    "minicnn.data.dataloader": "minicnn.data", "minicnn.data.dataset": "minicnn.data",
    "minicnn.models.alexnet": "minicnn.models", "minicnn.models.features": "minicnn.models",
    "minicnn.models.googlenet": "minicnn.models", "minicnn.models.imagenet": "minicnn.models",
    "minicnn.models.lenet": "minicnn.models", "minicnn.models.resnet": "minicnn.models",
    "minicnn.models.vgg": "minicnn.models", "minicnn.models.keras_apps": "minicnn.models", "minicnn.nn.layers": "minicnn.nn", "minicnn.nn.loss": "minicnn.nn",
    "minicnn.nn.module": "minicnn.nn", "minicnn.optim.adagrad": "minicnn.optim",
    "minicnn.optim.adam": "minicnn.optim", "minicnn.optim.optimizer": "minicnn.optim",
    "minicnn.optim.rmsprop": "minicnn.optim", "minicnn.optim.sgd": "minicnn.optim",
}
# modules without a page of their own, and why
LEFT_OUT = {
    "minicnn.cli": "the command line: `python -m minicnn --help` documents it",
    "minicnn.nn.functional": "PyTorch's import path for minicnn.functional",
    "minicnn.utils": "PyTorch's import path (torch.utils.data is minicnn.data)",
    "minicnn.utils.data": "PyTorch's import path for minicnn.data",
    "minicnn.vision": "torchvision's import path (transforms, datasets, models of minicnn)",
    "minicnn.vision.datasets": "torchvision's import path for minicnn.data.datasets",
    "minicnn.vision.models": "torchvision's import path for minicnn.models",
    "minicnn.vision.transforms": "torchvision's import path for minicnn.data.transforms",
    "minicnn.nn.summary": "the code behind Module.summary(), which minicnn.nn's page documents",
    "minicnn.data.download": "internal: finding and fetching dataset files (what a missing file's error says to do)",
    "minicnn.backends": "torch.backends' import path: its one module, backends.cudnn, has its page",
    "minicnn.keras.preprocessing": "Keras's TF2-era import path for minicnn.keras.preprocessing.image",
    "minicnn.keras.applications.vgg16": "Keras's per-family module: VGG16 is on minicnn.keras.applications, "
                                        "preprocess_input and decode_predictions on applications.imagenet_utils",
    "minicnn.keras.applications.resnet50": "Keras's per-family module (see minicnn.keras.applications.vgg16)",
    "minicnn.keras.applications.inception_v3": "Keras's per-family module (see minicnn.keras.applications.vgg16)",
    "minicnn.keras.datasets.mnist": "keras.datasets.mnist.load_data(), described on minicnn.keras.datasets",
    "minicnn.keras.datasets.fashion_mnist": "keras.datasets.fashion_mnist.load_data(), described on "
                                            "minicnn.keras.datasets",
    "minicnn.keras.datasets.cifar10": "keras.datasets.cifar10.load_data(), described on minicnn.keras.datasets",
}

def public_names(module):
    """(name, object) for the public names of a module: __all__ when it has one; else the names not
    starting with "_" that it defines, and for a package (minicnn, minicnn.nn ...) those it gathers
    from its submodules too. minicnn's dtypes (NumPy's types under PyTorch's names) are listed."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    package = hasattr(module, "__path__")
    out = []
    for n in sorted(names, key=str.lower):
        obj = getattr(module, n)
        if inspect.ismodule(obj):
            continue
        home = getattr(obj, "__module__", None) or ""
        if callable(obj):
            ours = home == module.__name__ or (package and home.startswith("minicnn"))
            if not ours and not (module.__name__ in ("minicnn", "minicnn.ops") and isinstance(obj, type)):
                continue
        out.append((n, obj))
    return out


def own_doc(obj):
    """The object's own docstring, cleaned: a class's from its own body, never its base class's
    (inspect.getdoc would hand nn.MaxPool2d the docstring of Module)."""
    if isinstance(obj, type):
        text = obj.__dict__.get("__doc__")
        return inspect.cleandoc(text) if text else None
    return inspect.getdoc(obj)
