"""Finding dataset files, and downloading them with a progress bar and a pinned checksum.

Search order for a dataset NAME (the first folder holding every file wins):
  1. an explicit ``root`` argument
  2. $MINICNN_DATA/NAME, then $MINICNN_DATA
  3. the user cache: $XDG_CACHE_HOME/minicnn/NAME (~/.cache/minicnn/NAME)
  4. /usr/share/datasets/NAME   (where Debian's dataset packages put them,
     e.g. `apt-get install dataset-fashion-mnist`)
Only when none has the files is anything downloaded, into ``root`` if given,
else the user cache. A download is written to a temporary file, checked
against its pinned hash, and renamed into place only if it matches: a
truncated or corrupt file is never used.
"""
import hashlib
import os
import tempfile
import urllib.error
import urllib.request


def offline():
    """True when the setting ``offline`` is on (MINICNN_OFFLINE; the test suite sets it): never download."""
    from ..configuration import config
    return config.offline


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "minicnn")


def candidate_dirs(name, root=None):
    dirs = []
    if root is not None:
        dirs.append(os.fspath(root))
    env = os.environ.get("MINICNN_DATA")
    if env:
        dirs += [os.path.join(env, name), env]
    dirs += [os.path.join(cache_dir(), name), os.path.join("/usr/share/datasets", name)]
    return dirs


def file_hash(path, algorithm):
    h = hashlib.new(algorithm)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def download(url, dest, md5=None, sha256=None, progress=True):
    """Fetch ``url`` to ``dest`` atomically; raise ValueError (and keep nothing) if the hash differs."""
    from tqdm.auto import tqdm
    folder = os.path.dirname(os.path.abspath(dest))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".download-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=60) as resp:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, desc=os.path.basename(dest), disable=not progress) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
        for algorithm, expected in (("md5", md5), ("sha256", sha256)):
            if expected and file_hash(tmp, algorithm) != expected:
                raise ValueError(f"downloaded {url} but its {algorithm} does not match the pinned value "
                                 f"{expected}: the file is truncated or corrupt and was not kept")
        os.replace(tmp, dest)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return dest


def locate(name, filenames, root=None):
    """The first candidate folder that has every file (or its .gz twin); None if none has them."""
    for d in candidate_dirs(name, root):
        if all(os.path.exists(os.path.join(d, f)) or os.path.exists(os.path.join(d, f + ".gz")) for f in filenames):
            return d
    return None


def not_found(name, filenames, root, how):
    places = "\n".join(f"  - {d}" for d in candidate_dirs(name, root))
    return FileNotFoundError(f"{name}: could not find {', '.join(filenames)} in any of:\n{places}\n{how}")
