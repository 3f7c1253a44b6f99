"""The command line: `python -m minicnn train` (the main job) and `python -m minicnn summary MODEL`.

`mpiexec -n N python -m minicnn train ...` trains data-parallel over N processes (minicnn.distributed):
--batch-size is per process; rank 0 prints and writes every file; an error on any rank ends them all.
"""
import argparse
import contextlib
import json
import os
import sys
import time

import numpy as np

DATASETS = ("fashion-mnist", "mnist", "cifar10", "cifar100")
DEFAULT_LR = {"adam": 1e-3, "sgd": 0.01, "rmsprop": 1e-3}


def build_parser():
    p = argparse.ArgumentParser(prog="python -m minicnn", description="minicnn: train and inspect classic CNNs.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a model (defaults: LeNet-5 on Fashion-MNIST, Adam, batch 32, 10 epochs)",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    t.add_argument("--model", default="lenet5", help="a name from minicnn.models")
    t.add_argument("--dataset", default="fashion-mnist",
                   help=f"one of {', '.join(DATASETS)}, or an image folder (CLASS/ subfolders, or train/ and val/)")
    t.add_argument("--data-root", default=None, help="folder with the dataset's files (searched first)")
    t.add_argument("--no-download", action="store_true", help="never download; fail if the files are missing")
    t.add_argument("--image-size", type=int, default=None, help="resize image-folder images to this size")
    t.add_argument("--epochs", type=int, default=10)
    t.add_argument("--batch-size", type=int, default=32)
    t.add_argument("--optimizer", default="adam", choices=sorted(DEFAULT_LR))
    t.add_argument("--lr", type=float, default=None, help="learning rate (default: 1e-3 for adam/rmsprop, 0.01 for sgd)")
    t.add_argument("--momentum", type=float, default=0.9, help="for sgd and rmsprop")
    t.add_argument("--nesterov", action="store_true")
    t.add_argument("--weight-decay", type=float, default=0.0, help="L2 weight decay")
    t.add_argument("--schedule", default="none", choices=["none", "step", "multistep", "cosine", "plateau"])
    t.add_argument("--step-size", type=int, default=20, help="epochs between decays (step)")
    t.add_argument("--milestones", default="", help="comma-separated epochs (multistep)")
    t.add_argument("--gamma", type=float, default=0.1, help="decay factor (step, multistep, plateau)")
    t.add_argument("--augment", action="store_true", help="random crop with padding 4 and horizontal flips")
    t.add_argument("--normalize", action="store_true", help="normalize channels by the training set's mean and std")
    t.add_argument("--device", default="cpu", help="cpu or cuda")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default=None, help="output folder (default: runs/MODEL-DATASET-TIME)")
    t.add_argument("--resume", default=None, help="a checkpoint.npz written by an earlier run")
    t.add_argument("--quiet", action="store_true", help="no progress bars (one line per epoch)")
    t.add_argument("--dist-backend", default="auto", choices=["auto", "mpi", "nccl"],
                   help="under mpiexec: how ranks exchange gradients (auto: NCCL with one GPU per rank, else MPI)")
    d = sub.add_parser("diagnose", help="why does a network not learn? per-layer statistics of one training step",
                       formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    d.add_argument("--model", default="lenet5")
    d.add_argument("--dataset", default="fashion-mnist")
    d.add_argument("--data-root", default=None)
    d.add_argument("--no-download", action="store_true")
    d.add_argument("--image-size", type=int, default=None)
    d.add_argument("--weights", default=None, help="a .npz of weights to load first (e.g. best.npz of a run)")
    d.add_argument("--batch-size", type=int, default=64)
    d.add_argument("--seed", type=int, default=0)
    d.add_argument("--out", default=".", help="folder for diagnostics.png")
    s = sub.add_parser("summary", help="print a model's layer table")
    s.add_argument("model")
    s.add_argument("--input", default=None, help="input shape C,H,W (default: the model's usual input)")
    s.add_argument("--num-classes", type=int, default=None)
    s.add_argument("--batch-size", type=int, default=1)
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
        raise SystemExit(f"--dataset {args.dataset!r}: not one of {', '.join(DATASETS)} and not a folder")
    steps = [T.ToTensor()]
    if args.normalize:
        mean, std = T.compute_mean_std(train)
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


def train(args):
    import minicnn as mc
    from . import plot
    from .data import DataLoader
    from .train import ModelCheckpoint, NonFiniteError, TrainingCheckpoint, evaluate, load_checkpoint, predict

    comm = mc.distributed.init(args.dist_backend, device=args.device)
    main_rank = comm.rank == 0
    if args.resume and not args.out:
        args.out = os.path.dirname(os.path.abspath(args.resume))
    out = args.out or os.path.join("runs", f"{args.model}-{os.path.basename(os.path.normpath(args.dataset))}-"
                                           f"{time.strftime('%Y%m%d-%H%M%S')}")
    out = comm.bcast_object(out)                        # rank 0's clock names the folder
    if main_rank:
        os.makedirs(out, exist_ok=True)
    mc.manual_seed(args.seed)
    train_set, test_set, input_shape, classes = load_data(args)
    model = make_model(args.model, len(classes), input_shape).to(args.device)
    opt = make_optimizer(args, model.parameters())
    sched = make_scheduler(args, opt)
    loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True, seed=args.seed, device=args.device)
    test_loader = DataLoader(test_set, batch_size=256, device=args.device)       # sharded under MPI
    config = {k: v for k, v in vars(args).items() if k != "command"} | {
        "input_shape": input_shape, "classes": classes, "train_size": len(train_set), "test_size": len(test_set),
        "processes": comm.size}
    if main_rank:
        with open(os.path.join(out, "config.json"), "w") as f:
            json.dump(config, f, indent=2)
    history, start = None, 0
    if args.resume:
        info = load_checkpoint(args.resume, model, opt, sched, loader)
        history, start = info["history"], info["epoch"]
        print(f"resumed from {args.resume} after epoch {start}")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"{args.model} ({n_params:,} parameters) on {args.dataset}: {len(train_set):,} training and "
          f"{len(test_set):,} test images, {args.optimizer} lr {opt.param_groups[0]['lr']}, batch {args.batch_size}"
          + (f" per process x {comm.size} processes ({comm.name})" if comm.size > 1 else "")
          + f", {args.epochs} epochs, device {args.device}; writing to {out}")
    callbacks = [ModelCheckpoint(os.path.join(out, "best.npz"), monitor="val_accuracy"),
                 TrainingCheckpoint(os.path.join(out, "checkpoint.npz"), opt, sched, loader)]
    t0 = time.perf_counter()
    try:
        history = mc.fit(model, loader, epochs=args.epochs, optimizer=opt, validation_data=test_loader,
                         scheduler=sched, callbacks=callbacks, initial_epoch=start, history=history,
                         verbose=2 if args.quiet else 1)
    except NonFiniteError as err:
        print(f"error: {err}", file=sys.stderr)
        history = err.history
        if not history or not history.epoch:
            return 1
    wall = time.perf_counter() - t0
    final = evaluate(model, test_loader)                # every rank takes part; rank 0 writes the rest
    if not main_rank:
        return 0
    with open(os.path.join(out, "history.json"), "w") as f:
        json.dump(dict(history.history), f, indent=2)
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
               "epochs_run": len(history.epoch), "wall_seconds_this_run": wall,
               "seconds_per_epoch": float(np.mean(history.history["time"][start:])) if "time" in history.history
               and len(history.history["time"]) > start else None}
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(summary, f, indent=2)
    print(f"test accuracy {final['accuracy']:.4f} (best {max(val):.4f} at epoch {summary['best_epoch']}), "
          f"{wall:.0f} s; wrote history.json, curves.png, predictions.png, confusion.png, best.npz, "
          f"checkpoint.npz, config.json, metrics.json to {out}")
    return 0


def diagnose_cmd(args):
    import minicnn as mc
    from . import plot
    from .pretrained import load_weights
    mc.manual_seed(args.seed)
    args.normalize = args.augment = False
    train_set, _, input_shape, classes = load_data(args)
    model = make_model(args.model, len(classes), input_shape)
    if args.weights:
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
    shape = tuple(int(v) for v in args.input.split(",")) if args.input else default_input_shape(args.model)
    kwargs = {"num_classes": args.num_classes} if args.num_classes else {}
    model = make_model(args.model, args.num_classes or 10, shape) if args.model.lower() == "lenet5" else None
    if model is None:
        from .models import get_model
        model = get_model(args.model, **kwargs)
    model.summary(shape, batch_size=args.batch_size)
    return 0


def main(argv=None):
    args = build_parser().parse_args(argv)
    if args.command == "train":
        from . import distributed
        comm = distributed.init(args.dist_backend, device=args.device)
        if comm.size == 1:
            return train(args)
        silent = contextlib.redirect_stdout(open(os.devnull, "w")) if comm.rank else contextlib.nullcontext()
        with distributed.abort_on_error(), silent:      # one rank's error ends every rank, with its message
            return train(args)
    if args.command == "diagnose":
        return diagnose_cmd(args)
    return summary_cmd(args)
