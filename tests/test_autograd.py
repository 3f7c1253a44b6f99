"""The graph walk and the Tensor: accumulation, broadcasting, ordering, freeing, dtypes, devices."""
import gc
import sys
import weakref

import numpy as np
import pytest

import minicnn as mc
import minicnn.functional as F


def test_ten_line_example_from_the_readme():
    x = mc.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    w = mc.tensor([[0.5], [-1.0]], requires_grad=True)
    loss = F.relu(x @ w).sum()
    loss.backward()
    assert loss.item() == 0.0
    np.testing.assert_array_equal(w.grad, [[0.0], [0.0]])
    y = (x * x).sum()
    y.backward()
    np.testing.assert_array_equal(x.grad, 2 * x.data)


def test_tensor_used_twice_receives_both_gradients():
    x = mc.tensor([2.0, 3.0], requires_grad=True)
    y = x * x + x               # x appears three times
    y.backward(np.ones(2, np.float32))
    np.testing.assert_allclose(x.grad, 2 * x.data + 1)


def test_diamond_graph_is_walked_in_generation_order():
    x = mc.tensor(1.5, requires_grad=True)
    a = x * 2.0
    b = a.exp()
    c = a * a
    d = b + c                   # d = e^(2x) + 4x^2
    d.backward()
    np.testing.assert_allclose(x.grad, 2 * np.exp(3.0) + 8 * 1.5, rtol=1e-6)


def test_broadcast_gradient_is_summed_back_to_each_shape():
    a = mc.tensor(np.ones((2, 1, 3)), requires_grad=True)
    b = mc.tensor(np.ones((4, 1)), requires_grad=True)
    (a * b).backward(np.ones((2, 4, 3), np.float32))
    assert a.grad.shape == (2, 1, 3) and b.grad.shape == (4, 1)
    np.testing.assert_array_equal(a.grad, np.full((2, 1, 3), 4.0))
    np.testing.assert_array_equal(b.grad, np.full((4, 1), 6.0))


def test_long_chain_does_not_hit_the_recursion_limit():
    x = mc.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(sys.getrecursionlimit() * 5):
        y = y * 1.0 + 0.0
    y.backward()
    assert x.grad == 1.0


def test_gradients_accumulate_across_backward_calls_until_zeroed():
    x = mc.tensor([1.0], requires_grad=True)
    (x * 3.0).sum().backward()
    (x * 3.0).sum().backward()
    assert x.grad[0] == 6.0
    x.zero_grad()
    assert x.grad is None


def test_no_grad_builds_no_graph():
    x = mc.tensor([1.0], requires_grad=True)
    with mc.no_grad():
        y = x * 2.0
    assert not y.requires_grad and y._ctx is None
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.backward()


def test_graph_is_freed_after_backward_and_retain_graph_keeps_it():
    x = mc.tensor(np.ones(3), requires_grad=True)
    y = (x * 2.0).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_array_equal(x.grad, [4.0, 4.0, 4.0])
    with pytest.raises(RuntimeError, match="already freed"):
        y.backward()


def test_intermediate_arrays_are_released_by_backward():
    x = mc.tensor(np.ones((100, 100)), requires_grad=True)
    h = x * 2.0
    fn_ref = weakref.ref(h._ctx)
    loss = (h * h).sum()
    del h
    loss.backward()
    gc.collect()
    # the output still names its creator, but the creator kept nothing
    node = loss._ctx
    assert node.inputs is None and not [k for k in vars(node) if k != "inputs"]
    assert fn_ref() is None


def test_intermediate_gradients_are_not_kept_unless_asked():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    k = (x * 3.0).retain_grad()
    (h.sum() + (k * k).sum()).backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad, 2 * k.data)


def test_float32_is_preserved_through_python_and_numpy_scalars():
    x = mc.tensor(np.ones(3), requires_grad=True)            # float64 data -> float32 by default
    assert x.dtype == np.float32
    for y in (x * 0.5, 0.5 * x, x / 3, 2 - x, x ** 2, np.float64(2.0) * x, x * np.float64(2.0),
              F.softmax(x, dim=-1), F.sigmoid(x)):
        assert y.dtype == np.float32, y
    (np.float64(3.0) * x).sum().backward()
    assert x.grad.dtype == np.float32


def test_float64_on_request():
    x = mc.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    (x * 0.1).sum().backward()
    assert x.grad.dtype == np.float64


def test_integer_tensors_stay_integer_and_cannot_require_grad():
    """PyTorch raises RuntimeError in all three ways of asking; the second and third once passed silently."""
    assert mc.tensor([1, 2, 3]).dtype.kind == "i"
    t = mc.tensor([1, 2])
    for ask in (lambda: mc.tensor([1, 2], requires_grad=True), lambda: t.requires_grad_(),
                lambda: setattr(t, "requires_grad", True)):
        with pytest.raises(RuntimeError, match="only Tensors of floating point dtype can require gradients"):
            ask()
    assert not t.requires_grad and mc.tensor([1.0]).requires_grad_().requires_grad


def test_backward_of_non_scalar_needs_a_gradient():
    x = mc.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="one-element"):
        (x * 2.0).backward()
    with pytest.raises(ValueError, match="does not match"):
        (x * 2.0).backward(np.ones(3))


def test_mixing_devices_names_both(monkeypatch):
    a = mc.tensor([1.0], requires_grad=True)
    b = mc.tensor([2.0])
    b._device = "cuda"           # stands in for a CuPy tensor on a machine without a GPU
    with pytest.raises(RuntimeError, match=r"different devices \(cpu and cuda\)"):
        a + b


def test_missing_cupy_gives_one_clear_sentence():
    if mc.cuda_available():
        pytest.skip("CUDA is available here")
    with pytest.raises(RuntimeError, match="pip install"):
        mc.tensor([1.0], device="cuda")


@pytest.mark.gpu
def test_to_cuda_and_back_keeps_values_and_gradients():
    x = mc.tensor([1.0, -2.0], requires_grad=True).to("cuda")
    assert x.device == "cuda" and x.is_leaf
    F.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 0.0])
    assert x.to("cpu").device == "cpu"
    with pytest.raises(RuntimeError, match="different devices"):
        x + mc.tensor([1.0, 1.0])


def test_manual_seed_makes_randomness_repeatable():
    mc.manual_seed(7)
    a = mc.randn(3, 4).numpy(), F.dropout(mc.tensor(np.ones(50)), 0.5).numpy()
    mc.manual_seed(7)
    b = mc.randn(3, 4).numpy(), F.dropout(mc.tensor(np.ones(50)), 0.5).numpy()
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_dropout_statistics_and_eval_identity():
    x = mc.tensor(np.ones(100000))
    y = F.dropout(x, 0.3).numpy()
    assert abs((y == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(np.unique(y), [0.0, 1 / 0.7], rtol=1e-6)
    assert F.dropout(x, 0.3, training=False) is x


def test_repr_and_helpers():
    x = mc.tensor([[1.0, 2.0]], requires_grad=True)
    assert "requires_grad=True" in repr(x)
    assert x.shape == (1, 2) and x.ndim == 2 and x.size() == (1, 2) and x.numel() == 2 and len(x) == 1
    assert x.detach()._ctx is None and not x.detach().requires_grad
    assert (x > 1.5).numpy().tolist() == [[False, True]]
    assert x.argmax(axis=1).item() == 1


def test_truth_value_only_for_one_element():
    assert mc.tensor([2.0]) > 1.0
    with pytest.raises(ValueError, match="ambiguous"):
        bool(mc.tensor([1.0, 2.0]) > 0)
