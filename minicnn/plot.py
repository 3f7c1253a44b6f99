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
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


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
        ax.set_title(str(class_names[int(predictions[i])]), color="blue" if right else "red", fontsize=8)
    wrong = int(np.sum(np.asarray(predictions[:n]) != np.asarray(labels[:n])))
    fig.suptitle(f"predictions on the first {n} test images: {n - wrong} right (blue), {wrong} wrong (red)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def confusion_matrix(labels, predictions, num_classes):
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
        ax.set_xticklabels(class_names, rotation=60, ha="right")
        ax.set_yticks(range(k))
        ax.set_yticklabels(class_names)
        for i in range(k):
            for j in range(k):
                ax.text(j, i, m[i, j], ha="center", va="center", fontsize=7,
                        color="white" if m[i, j] > m.max() / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(f"confusion matrix (accuracy {np.trace(m) / max(m.sum(), 1):.2%})")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return m
