"""The command line: `python -m minicnn train` (the main job) and `python -m minicnn summary MODEL`.

`mpiexec -n N python -m minicnn train ...` trains data-parallel over N processes (minicnn.distributed):
--batch-size is per process; rank 0 prints and writes every file; an error on any rank ends them all.

Errors: a mistake in the command (a bad value, an unknown model) exits with status 2 and a line
saying what to change; a problem with the inputs (missing data, a damaged checkpoint, no GPU)
exits with status 1 and a line naming it; a run stopped by the NaN guard exits with status 3;
Ctrl-C ends a run with one line saying where it stopped and how to resume, status 130. None
prints a traceback unless --debug is given (or MINICNN_DEBUG=1). A run writes nothing until its
data, model, device and checkpoint have been checked.

A run's output folder is its own: a run holds it (OUT/.lock, naming its PID) until it ends, a
second run into it is refused, and a folder that holds a run's results is never written into
again unless asked (--resume continues it, --overwrite replaces it). `--resume` takes every
option from the run it resumes (its checkpoint, or config.json beside it); a flag that
contradicts the run is refused, except those in RESUME_MAY_CHANGE.
"""
import argparse
import contextlib
import json
import math
import os
import socket
import sys
import time

import numpy as np

from .configuration import config as settings

DATASETS = ("fashion-mnist", "mnist", "cifar10", "cifar100")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.01, "rmsprop": 1e-3}
EXIT_USAGE, EXIT_INPUT, EXIT_STOPPED, EXIT_INTERRUPTED = 2, 1, 3, 130
# what a run writes to its folder; a folder holding any of them holds a run's results
RUN_FILES = ("config.json", "checkpoint.npz", "best.npz", "history.json", "metrics.json", "curves.png",
             "predictions.png", "confusion.png")
REPORTS = ("history.json", "metrics.json", "curves.png", "predictions.png", "confusion.png")
LOCK = ".lock"
# options a resumed run may be given anew: how long, where, how it is shown; the rest are the run's
RESUME_MAY_CHANGE = ("epochs", "device", "data_root", "no_download", "quiet", "dist_backend")


class UsageError(Exception):
    """A mistake in the command line: exit status 2."""


class Interrupted(Exception):
    """Ctrl-C during a run: exit status 130, with where it stopped and how to resume."""


def _positive(kind, zero=False):
    """An argparse type: a finite number > 0 (>= 0 with ``zero``); nan and inf are refused by name."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
        if not (value >= 0 if zero else value > 0):
            raise argparse.ArgumentTypeError(f"must be {'zero or more' if zero else 'positive'}, got {text}")
        return value
    parse.__name__ = kind.__name__
    return parse


def _milestones(text):
    """An argparse type: epochs as comma-separated positive integers, e.g. 30,60,90."""
    try:
        epochs = [int(m) for m in text.split(",") if m.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected epochs separated by commas, e.g. 30,60,90; got {text!r}") from None
    if any(m <= 0 for m in epochs):
        raise argparse.ArgumentTypeError(f"epochs are counted from 1, got {text!r}")
    return text


def _device(text):
    """An argparse type: a device name minicnn knows (cpu, cuda, cuda:N, gpu)."""
    from .backend import check_device
    try:
        check_device(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None
    return text


def model_names():
    from .models import _MODELS
    return sorted(_MODELS) + ["vgg-A", "vgg-A-LRN", "vgg-B", "vgg-C", "vgg-D", "vgg-E"]


def _check_model(name):
    """A UsageError unless ``name`` is one that models.get_model accepts."""
    key = name.lower().replace("-", "_")
    if key not in {m.lower().replace("-", "_") for m in model_names()}:
        raise UsageError(f"unknown model {name!r}; choose one of: {', '.join(model_names())}")


class _Parser(argparse.ArgumentParser):
    """argparse, with a mistake told in one line and a pointer to --help instead of the whole usage."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n(see `{self.prog} --help`)\n")


def build_parser(defaults=True):
    """The command line. ``defaults=False`` leaves every train option's default out, so that parsing
    tells which options were written on the command line (--resume compares only those)."""
    from . import __version__
    p = _Parser(prog="python -m minicnn", description="minicnn: train and inspect classic CNNs.")
    p.add_argument("--version", action="version", version=f"minicnn {__version__}")
    p.add_argument("--debug", action="store_true", help="show the full traceback of an error")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a model (defaults: LeNet-5 on Fashion-MNIST, Adam, batch 32, 10 epochs)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)

    def opt(*names, **kw):
        if not defaults:
            kw["default"] = argparse.SUPPRESS
        t.add_argument(*names, **kw)
    t.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error")
    opt("--model", default="lenet5", help="one of: " + ", ".join(model_names()))
    opt("--dataset", default="fashion-mnist",
        help=f"one of {', '.join(DATASETS)}, or an image folder (CLASS/ subfolders, or train/ and val/)")
    opt("--data-root", default=None, help="folder with the dataset's files (searched first)")
    opt("--no-download", action="store_true", help="never download; fail if the files are missing")
    opt("--image-size", type=_positive(int), default=None,
        help="resize image-folder images to this size (default: 150)")
    opt("--epochs", type=_positive(int), default=10, help="train until this many epochs are done")
    opt("--batch-size", type=_positive(int), default=32, help="samples per step (per process under MPI)")
    opt("--optimizer", default="adam", choices=sorted(DEFAULT_LR), help="the update rule")
    opt("--lr", type=_positive(float), default=None, help="learning rate (default: 1e-3 for adam/rmsprop, 0.01 for sgd)")
    opt("--momentum", type=_positive(float, zero=True), default=0.9, help="for sgd and rmsprop")
    opt("--nesterov", action="store_true", help="Nesterov momentum (sgd)")
    opt("--weight-decay", type=_positive(float, zero=True), default=0.0, help="L2 weight decay")
    opt("--schedule", default="none", choices=["none", "step", "multistep", "cosine", "plateau"],
        help="learning-rate schedule, stepped once per epoch")
    opt("--step-size", type=_positive(int), default=20, help="epochs between decays (step)")
    opt("--milestones", type=_milestones, default="", help="comma-separated epochs (multistep)")
    opt("--gamma", type=_positive(float), default=0.1, help="decay factor (step, multistep, plateau)")
    opt("--augment", action="store_true", help="random crop with padding 4 and horizontal flips")
    opt("--normalize", action="store_true", help="normalize channels by the training set's mean and std")
    opt("--device", type=_device, default="cpu", help="cpu or cuda")
    opt("--seed", type=_positive(int, zero=True), default=0,
        help="seeds initialization, shuffling, dropout, augmentation")
    opt("--out", default=None, help="output folder (default: runs/MODEL-DATASET-TIME); a run holds it while it "
        "runs, and a folder with a run's results is not written into again without --resume or --overwrite")
    opt("--overwrite", action="store_true", help="replace the results of an earlier run in --out")
    opt("--resume", default=None, help="a checkpoint.npz written by an earlier run: every option is the run's "
        f"own (its config.json); only --{', --'.join(o.replace('_', '-') for o in RESUME_MAY_CHANGE)} may be "
        "given anew (--epochs: more than it has done). A finished run whose reports are missing gets them")
    opt("--quiet", action="store_true", help="no progress bars (one line per epoch)")
    opt("--dist-backend", default="auto", choices=["auto", "mpi", "nccl"],
        help="under mpiexec: how ranks exchange gradients (auto: NCCL with one GPU per rank, else MPI)")
    d = sub.add_parser("diagnose", help="why does a network not learn? per-layer statistics of one training step",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error")
    d.add_argument("--model", default="lenet5", help="one of: " + ", ".join(model_names()))
    d.add_argument("--dataset", default="fashion-mnist", help=f"one of {', '.join(DATASETS)}, or an image folder")
    d.add_argument("--data-root", default=None, help="folder with the dataset's files (searched first)")
    d.add_argument("--no-download", action="store_true", help="never download; fail if the files are missing")
    d.add_argument("--image-size", type=_positive(int), default=None, help="resize image-folder images to this size")
    d.add_argument("--weights", default=None,
                   help="weights to load first: best.npz or checkpoint.npz of a run, or a converted .npz / Keras .h5")
    d.add_argument("--batch-size", type=_positive(int), default=64, help="samples in the diagnosed batch")
    d.add_argument("--seed", type=_positive(int, zero=True), default=0, help="picks the batch")
    d.add_argument("--out", default=".", help="folder for diagnostics.png")
    s = sub.add_parser("summary", help="print a model's layer table", formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    s.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show the full traceback of an error")
    s.add_argument("model", help="one of: " + ", ".join(model_names()))
    s.add_argument("--input", default=None, help="input shape C,H,W (default: the model's usual input)")
    s.add_argument("--num-classes", type=_positive(int), default=None, help="output classes (default: the model's)")
    s.add_argument("--batch-size", type=_positive(int), default=1, help="batch size for the memory column")
    return p


def load_data(args):
    """(train dataset, test dataset, input shape, class names)."""
    from .data import datasets, transforms as T
    name = args.dataset.lower()
    kw = dict(root=args.data_root, download=not args.no_download)
    if name in DATASETS:
        cls = {"fashion-mnist": datasets.FashionMNIST, "mnist": datasets.MNIST,
               "cifar10": datasets.CIFAR10, "cifar100": datasets.CIFAR100}[name]
        train, test = cls(train=True, **kw), cls(train=False, **kw)
    elif os.path.isdir(args.dataset):
        size = args.image_size or 150
        train, test = datasets.image_folder_splits(args.dataset, target_size=size, seed=args.seed)
    else:
        raise UsageError(f"--dataset {args.dataset!r}: not one of {', '.join(DATASETS)} and not a folder")
    steps = [T.ToTensor()]
    if args.normalize:
        mean, std = T.compute_mean_std(train)
        if not (std > 0).all():
            raise ValueError(f"--normalize: channel(s) {np.flatnonzero(~(std > 0)).tolist()} of the training images "
                             "are constant (standard deviation 0), so dividing by it would give NaN; leave out "
                             "--normalize or check the images")
        print(f"per-channel mean {np.round(mean, 4).tolist()}, std {np.round(std, 4).tolist()}")
        steps.append(T.Normalize(mean, std))
    test.transform = T.Compose(steps)
    x0, _ = test.get_batch(np.array([0]))
    if args.augment:
        h = x0.shape[-1]
        steps = steps + [T.RandomCrop(h, padding=4), T.RandomHorizontalFlip()]
    train.transform = T.Compose(steps)
    return train, test, tuple(x0.shape[1:]), list(train.classes)


def make_model(name, num_classes, input_shape):
    from .models import get_model
    kwargs = {"num_classes": num_classes}
    if name.lower() == "lenet5":
        kwargs.update(in_channels=input_shape[0], image_size=input_shape[1])
    return get_model(name, **kwargs)


def make_optimizer(args, params):
    from . import optim
    lr = args.lr if args.lr is not None else DEFAULT_LR[args.optimizer]
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay, nesterov=args.nesterov)
    if args.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    return optim.Adam(params, lr=lr, weight_decay=args.weight_decay)


def make_scheduler(args, opt):
    from .optim import lr_scheduler as S
    if args.schedule == "step":
        return S.StepLR(opt, args.step_size, args.gamma)
    if args.schedule == "multistep":
        return S.MultiStepLR(opt, [int(m) for m in args.milestones.split(",") if m], args.gamma)
    if args.schedule == "cosine":
        return S.CosineAnnealingLR(opt, args.epochs)
    if args.schedule == "plateau":
        return S.ReduceLROnPlateau(opt, factor=args.gamma, patience=2)
    return None


def _literal(path):
    """``path`` as a file name that ModelCheckpoint's {epoch} formatting leaves as it is: a name from the
    user or the disk is never a template (a folder 'data{epoch}' once moved best.npz elsewhere)."""
    return path.replace("{", "{{").replace("}", "}}")


def _write_json(path, obj):
    from .serialization import replacing
    with replacing(path) as tmp, open(tmp, "w") as f:
        json.dump(obj, f, indent=2)


def _resumed_options(args, state):
    """Take every option of the run being resumed from its checkpoint (or the config.json beside it);
    an option given today that contradicts the run is a UsageError naming both values."""
    saved = (state.get("extra") or {}).get("config") if isinstance(state.get("extra"), dict) else None
    source = f"{args.resume}"
    if saved is None:
        path = os.path.join(os.path.dirname(os.path.abspath(args.resume)), "config.json")
        try:
            with open(path) as f:
                saved = json.load(f)
            source = path
        except (OSError, ValueError):
            print(f"warning: --resume {args.resume}: neither the checkpoint nor a config.json beside it says how "
                  "the run was started; using today's options", file=sys.stderr)
            return None
    if not isinstance(saved, dict):
        raise ValueError(f"--resume: {source} holds no run configuration")
    given = getattr(args, "_given", set(vars(args)))
    conflicts = []
    for key in list(vars(args)):
        if key in ("command", "debug", "resume", "out", "overwrite") or key.startswith("_") or key not in saved:
            continue
        if key in given and key not in RESUME_MAY_CHANGE and getattr(args, key) != saved[key]:
            conflicts.append(f"--{key.replace('_', '-')} {getattr(args, key)} (the run has {saved[key]!r})")
        elif key not in given:
            setattr(args, key, saved[key])
    if conflicts:
        raise UsageError(f"--resume {args.resume}: {'; '.join(conflicts)}. A resumed run keeps its own options "
                         f"(from {source}); leave these out, or start a new run with another --out")
    return saved


def _reports_done(out):
    """Every report of a run is in ``out``, none of them empty, and metrics.json readable."""
    if not all(os.path.isfile(p) and os.path.getsize(p) > 0 for p in (os.path.join(out, n) for n in REPORTS)):
        return False
    try:
        with open(os.path.join(out, "metrics.json")) as f:
            json.load(f)
    except (OSError, ValueError):
        return False
    return True


@contextlib.contextmanager
def _holding(out):
    """Hold the folder ``out`` for this run: an exclusive lock on OUT/.lock, which names our PID and host.
    The kernel lets go of the lock when a process ends in any way, so a killed run's lock is simply
    taken over; a live run's is a UsageError naming it. Where fcntl is missing (Windows) no lock is held."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, LOCK)
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.read(fd, 4096).decode("utf-8", "replace").strip() or "another run"
            os.close(fd)
            raise UsageError(f"--out {out} is in use by {holder}; wait for it to end, or choose another --out")
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:                            # else the holder removed the file as we opened it: try again
            break
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, f"run PID {os.getpid()} on {socket.gethostname()}, started {time.strftime('%Y-%m-%d %H:%M:%S')}"
                 .encode())
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            os.remove(path)
        os.close(fd)


def train(args):
    import minicnn as mc
    from .serialization import load

    # everything the run needs is checked first; nothing is written until it all holds
    _check_model(args.model)
    state = finished = None
    if args.resume:
        if not os.path.isfile(args.resume):
            raise FileNotFoundError(f"--resume {args.resume}: no such file (give the checkpoint.npz of a run)")
        state = load(args.resume)
        if not isinstance(state, dict) or "model" not in state or "epoch" not in state:
            raise ValueError(f"--resume {args.resume} is not a training checkpoint (a checkpoint.npz written by "
                             "train); best.npz holds weights only")
        _resumed_options(args, state)
        _check_model(args.model)
        if int(state["epoch"]) >= args.epochs:
            folder = args.out or os.path.dirname(os.path.abspath(args.resume))
            if _reports_done(folder):
                raise UsageError(f"--resume: {args.resume} has finished {int(state['epoch'])} epochs already; pass "
                                 f"--epochs N with N > {int(state['epoch'])} to train more")
            finished = int(state["epoch"])
    if args.schedule == "multistep" and not args.milestones:
        raise UsageError("--schedule multistep needs --milestones, e.g. --milestones 30,60")
    if args.device != "cpu":
        mc.backend.cupy_module()                        # RuntimeError naming what is missing
    comm = mc.distributed.init(args.dist_backend, device=args.device)
    if args.resume and not args.out:
        args.out = os.path.dirname(os.path.abspath(args.resume))
    out = args.out or os.path.join("runs", f"{args.model}-{os.path.basename(os.path.normpath(args.dataset))}-"
                                           f"{time.strftime('%Y%m%d-%H%M%S')}")
    out = comm.bcast_object(out)                        # rank 0's clock names the folder
    mc.manual_seed(args.seed)
    train_set, test_set, input_shape, classes = load_data(args)
    model = _checked_model(args, classes, input_shape)
    if comm.rank != 0:
        return _train_in(out, args, state, finished, comm, model, train_set, test_set, input_shape, classes)
    with _holding(out):
        own = args.resume and os.path.samefile(os.path.dirname(os.path.abspath(args.resume)), out)
        earlier = [name for name in RUN_FILES if os.path.exists(os.path.join(out, name))]
        if earlier and not own:
            if not args.overwrite:
                raise UsageError(f"--out {out} holds the results of an earlier run ({', '.join(earlier)}); resume it "
                                 f"with --resume {os.path.join(out, 'checkpoint.npz')}, choose another --out, or "
                                 "pass --overwrite to replace them")
            for name in earlier:
                os.remove(os.path.join(out, name))
        return _train_in(out, args, state, finished, comm, model, train_set, test_set, input_shape, classes)


def _checked_model(args, classes, input_shape):
    """The model, built and given one image (evaluation mode, no graph, no random draw) before anything
    is written: an image size the model cannot take is a mistake in the command, said in one line."""
    import minicnn as mc
    try:
        model = make_model(args.model, len(classes), input_shape).to(args.device)
        model.eval()
        with mc.no_grad():
            model(mc.zeros((1, *input_shape), device=args.device))
    except (ValueError, RuntimeError, ZeroDivisionError, IndexError) as err:
        size = f"--image-size {args.image_size}" if args.image_size else f"--dataset {args.dataset}"
        raise UsageError(f"{size}: {args.model} cannot take {'x'.join(map(str, input_shape))} inputs "
                         f"({type(err).__name__}: {err})" + ("; try a larger --image-size" if args.image_size else "")
                         ) from None
    model.train()
    return model


def _train_in(out, args, state, finished, comm, model, train_set, test_set, input_shape, classes):
    """The run itself, in the folder ``out`` that rank 0 holds: config, fit with checkpoints, reports."""
    import minicnn as mc
    from .data import DataLoader
    from .serialization import load
    from .train import History, ModelCheckpoint, NonFiniteError, TrainingCheckpoint, load_checkpoint

    main_rank = comm.rank == 0
    mc.distributed.check_same("the class list (of --dataset)", classes)
    opt = make_optimizer(args, model.parameters())
    sched = make_scheduler(args, opt)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed, device=args.device)
    test_loader = DataLoader(test_set, batch_size=256, device=args.device)       # sharded under MPI
    history, start = History(), 0
    if args.resume:
        info = load_checkpoint(state, model, opt, sched, loader)
        history, start = info["history"], info["epoch"]
    config = {k: v for k, v in vars(args).items() if k not in ("command", "debug") and not k.startswith("_")} | {
        "input_shape": input_shape, "classes": classes, "train_size": len(train_set), "test_size": len(test_set),
        "processes": comm.size}
    if main_rank:
        os.makedirs(out, exist_ok=True)
        config_path = os.path.join(out, "config.json")
        if not (args.resume and os.path.exists(config_path)):      # a resumed run keeps its first config
            _write_json(config_path, config)
    if finished is not None:
        print(f"{args.resume} has finished {finished} epochs; writing the reports it is missing")
        return _report(out, args, model, test_set, test_loader, classes, history, start, 0.0, None, main_rank)
    if args.resume:
        print(f"resumed from {args.resume} after epoch {start}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(train_set):,} training and "
          f"{len(test_set):,} test images, {args.optimizer} lr {opt.param_groups[0]['lr']}, batch {args.batch_size}"
          + (f" per process x {comm.size} processes ({comm.name})" if comm.size > 1 else "")
          + f", {args.epochs} epochs, device {args.device}; writing to {out}")
    checkpoint = os.path.join(out, "checkpoint.npz")
    callbacks = [ModelCheckpoint(_literal(os.path.join(out, "best.npz")), monitor="val_accuracy"),
                 TrainingCheckpoint(checkpoint, opt, sched, loader, extra={"config": config})]
    t0 = time.perf_counter()
    stopped = None
    try:
        history = mc.fit(model, loader, epochs=args.epochs, optimizer=opt, validation_data=test_loader,
                         scheduler=sched, callbacks=callbacks, initial_epoch=start, history=history,
                         verbose=2 if args.quiet else 1)
    except NonFiniteError as err:
        print(f"error: {err}", file=sys.stderr)
        history, stopped = err.history, err
        if not history or not history.epoch:
            return EXIT_STOPPED
        if err.after_update:                # the step's weights are lost: report on the last checkpoint's
            model.load_state_dict(load(checkpoint)["model"])
    except KeyboardInterrupt:
        done = len(history.epoch)
        where = (f"the last checkpoint is {checkpoint} (after epoch {done}); continue with: python -m minicnn train "
                 f"--resume {checkpoint}" if done else "no epoch had finished, so there is no checkpoint to resume")
        raise Interrupted(f"interrupted during epoch {done + 1} of {args.epochs}; {where}") from None
    wall = time.perf_counter() - t0
    return _report(out, args, model, test_set, test_loader, classes, history, start, wall, stopped, main_rank)


def _report(out, args, model, test_set, test_loader, classes, history, start, wall, stopped, main_rank):
    """history.json, the plots and metrics.json, each written whole or not at all."""
    from . import plot
    from .data import DataLoader
    from .train import evaluate, predict
    final = evaluate(model, test_loader)                # every rank takes part; rank 0 writes the rest
    if not main_rank:
        return EXIT_STOPPED if stopped else 0
    _write_json(os.path.join(out, "history.json"), dict(history.history))
    test_loader = DataLoader(test_set, batch_size=256, device=args.device, shard=False)
    idx = np.arange(min(50, len(test_set)))
    images, labels = test_set.get_batch(idx)
    logits = predict(model, test_loader)
    preds = logits.argmax(axis=1)
    targets = np.concatenate([y.numpy() for _, y in test_loader])
    plot.plot_history(history, os.path.join(out, "curves.png"))
    plot.plot_predictions(images, labels, preds[idx], classes, os.path.join(out, "predictions.png"))
    plot.plot_confusion(targets, preds, classes, os.path.join(out, "confusion.png"))
    val = history.history.get("val_accuracy", [final["accuracy"]])
    summary = {"final_test_accuracy": final["accuracy"], "final_test_loss": final["loss"],
               "best_test_accuracy": max(val), "best_epoch": int(np.argmax(val)) + 1,
               "epochs_run": len(history.epoch), "epochs_asked": args.epochs, "wall_seconds_this_run": wall,
               "seconds_per_epoch": float(np.mean(history.history["time"][start:])) if "time" in history.history
               and len(history.history["time"]) > start else None}
    if stopped is not None:
        # the final figures are those of the weights after the last good step, inside an unfinished epoch;
        # the best ones are over finished epochs, the weights in best.npz
        summary["stopped"] = {"reason": str(stopped), "step": stopped.step, "layer": stopped.layer,
                              "final_weights": f"those of the checkpoint after epoch {len(history.epoch)}"
                              if stopped.after_update else
                              f"after step {stopped.step - 1}, inside epoch {len(history.epoch) + 1}",
                              "best_is_over": f"the {len(history.epoch)} finished epoch(s), weights in best.npz"}
    _write_json(os.path.join(out, "metrics.json"), summary)
    print(f"test accuracy {final['accuracy']:.4f} (best {max(val):.4f} at epoch {summary['best_epoch']}), "
          f"{wall:.0f} s; wrote history.json, curves.png, predictions.png, confusion.png, best.npz, "
          f"checkpoint.npz, config.json, metrics.json to {out}")
    if stopped is not None:
        print(f"error: the run stopped early (NaN guard) after {len(history.epoch)} of {args.epochs} epochs",
              file=sys.stderr)
        return EXIT_STOPPED
    return 0


def diagnose_cmd(args):
    import minicnn as mc
    from . import plot
    from .pretrained import load_weights
    _check_model(args.model)
    mc.manual_seed(args.seed)
    args.normalize = args.augment = False
    train_set, _, input_shape, classes = load_data(args)
    model = make_model(args.model, len(classes), input_shape)
    if args.weights:
        if not os.path.isfile(args.weights):
            raise FileNotFoundError(f"--weights {args.weights}: no such file")
        load_weights(model, args.weights)
    idx = np.random.default_rng(args.seed).choice(len(train_set), size=min(args.batch_size, len(train_set)),
                                                  replace=False)
    x, y = train_set.get_batch(np.sort(idx))
    report = mc.diagnose(model, x, y)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, "diagnostics.png")
    plot.plot_diagnostics(report, path)
    print(f"wrote {path}")
    return 0


def summary_cmd(args):
    from .models import default_input_shape
    _check_model(args.model)
    if args.input:
        try:
            shape = tuple(int(v) for v in args.input.split(","))
        except ValueError:
            shape = ()
        if len(shape) != 3 or min(shape) < 1:
            raise UsageError(f"--input {args.input!r}: give the input shape as C,H,W, e.g. --input 1,28,28")
    else:
        shape = default_input_shape(args.model)
    kwargs = {"num_classes": args.num_classes} if args.num_classes else {}
    try:
        if args.model.lower() == "lenet5":
            model = make_model(args.model, args.num_classes or 10, shape)
        else:
            from .models import get_model
            model = get_model(args.model, **kwargs)
        model.summary(shape, batch_size=args.batch_size)
    except (ValueError, RuntimeError, ZeroDivisionError, IndexError) as err:
        raise UsageError(f"--input {args.input or ','.join(map(str, shape))}: {args.model} cannot take this input "
                         f"({type(err).__name__}: {err})") from None
    return 0


def _message(err):
    """An exception's own sentence (KeyError's without the quotes its str() adds)."""
    text = err.args[0] if isinstance(err, KeyError) and err.args and isinstance(err.args[0], str) else str(err)
    return text or type(err).__name__


def run(args):
    if args.command == "train":
        from . import distributed
        with distributed.init(args.dist_backend, device=args.device) as comm:   # the process's own again after
            if comm.size == 1:
                return train(args)
            silent = contextlib.redirect_stdout(open(os.devnull, "w")) if comm.rank else contextlib.nullcontext()
            with distributed.abort_on_error(), silent:  # one rank's error ends every rank, with its message
                return train(args)
    if args.command == "diagnose":
        return diagnose_cmd(args)
    return summary_cmd(args)


def main(argv=None):
    """Parse, run, and turn a user's mistake into one line and an exit status (module docstring)."""
    for stream in (sys.stdout, sys.stderr):
        # a file name that is not UTF-8 (a folder 'caf\xe9' in Latin-1) is printed as the file system gives
        # it, instead of failing the run at its first print
        if hasattr(stream, "reconfigure") and stream.errors == "strict":
            stream.reconfigure(errors="surrogateescape")
    args = build_parser().parse_args(argv)
    if args.command == "train":
        args._given = set(vars(build_parser(defaults=False).parse_args(argv)))
    try:
        debug = getattr(args, "debug", False) or settings.debug
    except ValueError as err:
        print(f"python -m minicnn {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    try:
        return run(args)
    except (Interrupted, KeyboardInterrupt) as err:
        if debug:
            raise
        print(f"python -m minicnn {args.command}: {err or 'interrupted'}", file=sys.stderr)
        return EXIT_INTERRUPTED
    except MemoryError as err:                           # NumPy's, or CuPy's OutOfMemoryError (a subclass)
        if debug:
            raise
        detail = f" ({err})" if str(err) else ""
        print(f"python -m minicnn {args.command}: error: out of memory with {args.model} at batch size "
              f"{args.batch_size}{detail}; try a smaller --batch-size"
              + (" or --image-size" if args.command != "summary" else ""), file=sys.stderr)
        return EXIT_INPUT
    except UsageError as err:
        if debug:
            raise
        print(f"python -m minicnn {args.command}: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, KeyError, OSError, RuntimeError) as err:   # bad inputs: data, files, device
        if debug:
            raise
        print(f"python -m minicnn {args.command}: error: {_message(err)}", file=sys.stderr)
        print("(run again with --debug for the traceback)", file=sys.stderr)
        return EXIT_INPUT
