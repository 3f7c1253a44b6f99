"""Convert a torchvision .pth weight file into minicnn's .npz (run once, where PyTorch is installed).

    python scripts/convert_torchvision_weights.py vgg16-397923af.pth [out.npz]

The .pth file is a pickle; it is read with torch.load(weights_only=True), which refuses
arbitrary objects. The file is first checked against the SHA-256 prefix in its name
(torchvision's convention). The result loads with minicnn.pretrained.load_weights(model, path)
and never needs PyTorch again. This script lives outside the minicnn package, which never
imports torch.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import minicnn as mc  # noqa: E402
from minicnn.pretrained import sha256_prefix_ok  # noqa: E402


def convert(src, dst=None):
    try:
        import torch
    except ImportError:
        raise SystemExit("converting .pth files needs PyTorch (pip install torch); the .npz it writes does not")
    ok = sha256_prefix_ok(src)
    if ok is False:
        raise SystemExit(f"{src}: its SHA-256 does not start with the hash in its name: truncated or corrupt")
    try:
        state = torch.load(src, map_location="cpu", weights_only=True)
    except Exception as exc:                       # pickle.UnpicklingError and friends, whatever torch raises
        if "weights_only" in str(exc) or "Unpickl" in type(exc).__name__:
            raise SystemExit(f"{src}: refused. The file holds Python objects other than tensors, and unpickling "
                             "them could run code; only plain state dicts (names -> tensors) are converted. Do not "
                             "load it with weights_only=False unless you trust where it came from.") from None
        raise SystemExit(f"{src}: not a PyTorch weight file, or damaged ({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or not all(hasattr(v, "detach") for v in state.values()):
        raise SystemExit(f"{src}: expected a state dict (names -> tensors), found a {type(state).__name__}")
    arrays = {k: v.detach().cpu().numpy() for k, v in state.items()}
    dst = dst or os.path.splitext(src)[0] + ".npz"
    mc.save({"state_dict": arrays, "source": os.path.basename(src),
             "checked": "sha256 prefix" if ok else "no hash in name"}, dst)
    print(f"wrote {dst}: {len(arrays)} arrays, {sum(a.size for a in arrays.values()):,} numbers")
    return dst


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    convert(*sys.argv[1:])
