"""minicnn/workspace.py: the one cache of reused scratch buffers."""
import numpy as np

from minicnn import workspace


def test_a_slot_is_reused_and_grows_only_when_asked_for_more():
    workspace.release()
    t, u = workspace.Slot("t"), workspace.Slot("t")                    # same name, two owners
    a = t.flat(np, 100, np.float32)
    assert a.size >= 100 and a.dtype == np.float32
    assert t.flat(np, 60, np.float32) is a                              # smaller: the same memory
    b = t.flat(np, 200, np.float32)
    assert b is not a and b.size >= 200 and t.flat(np, 10, np.float32) is b
    assert u.flat(np, 10, np.float32) is not b                          # another slot, though named alike
    assert t.flat(np, 10, np.float32, key=1) is not b                   # another key
    assert t.flat(np, 10, np.float64).dtype == np.float64               # another dtype
    assert workspace.nbytes() == 200 * 4 + 10 * 4 + 10 * 4 + 10 * 8
    assert workspace.report() == {"t": 200 * 4 + 10 * 4 + 10 * 4 + 10 * 8}
    workspace.release()
    assert workspace.nbytes() == 0


def test_shaped_is_a_view_of_the_buffer_front():
    buf = np.arange(10.0)
    v = workspace.shaped(buf, (2, 3))
    assert v.shape == (2, 3) and np.shares_memory(v, buf)
    assert v.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_optimizers_and_convolution_pieces_take_their_temporaries_from_the_cache(config):
    import minicnn as mc
    config(col_budget=600)                        # a piece per image
    workspace.release()
    model = mc.nn.Sequential(mc.nn.Conv2d(3, 8, 3), mc.nn.Flatten(), mc.nn.Linear(8 * 6 * 6, 2))
    opt = mc.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = mc.randn(4, 3, 8, 8)
    mc.functional.cross_entropy(model(x), mc.tensor(np.array([0, 1, 0, 1]))).backward()
    opt.step()
    held = {(slot.name, key) for slot, _, _, key in workspace._cache}
    assert ("conv2d columns", None) in held and ("optimizer scratch", "MainThread") in held   # a scratch per thread
