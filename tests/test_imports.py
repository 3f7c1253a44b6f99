"""minicnn never imports torch, and keeps matplotlib, Pillow and CuPy out of `import minicnn`."""
import subprocess
import sys


def test_import_is_light_and_torch_free():
    code = ("import sys, minicnn, minicnn.models, minicnn.data, minicnn.train, minicnn.pretrained, minicnn.cli; "
            "heavy = [m for m in ('torch', 'matplotlib', 'PIL', 'cupy', 'h5py') if m in sys.modules]; "
            "print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
