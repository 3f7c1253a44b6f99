"""Arithmetic, matrix products, reductions and shape ops (minicnn/functional/math.py).

Each op's checks side by side: against PyTorch in float32; gradcheck in float64."""
import warnings

import numpy as np
import pytest

import minicnn as mc
from conftest import T, check, distinct, rand, torch_oracle


# -------------------------------- against PyTorch in float32: the output and every input gradient
def test_arithmetic_with_broadcasting(device):
    a, b = rand(3, 1, 4, seed=40), rand(5, 1, seed=41) + 3
    torch_oracle(lambda a, b: (a + b) * (a - b) / b - a ** 2 + (-b), lambda a, b: (a + b) * (a - b) / b - a ** 2 + (-b),
                 [a, b], device)


def test_matmul_batched_and_vector(device):
    torch_oracle(lambda a, b: a @ b, lambda a, b: a @ b, [rand(2, 3, 4, seed=42), rand(4, 5, seed=43)], device)
    torch_oracle(lambda a, b: a @ b, lambda a, b: a @ b, [rand(3, 4, seed=44), rand(4, seed=45)], device)


@pytest.mark.parametrize("axis,keepdims", [(None, False), (0, False), (1, True), ((0, 2), False)])
def test_reductions(device, axis, keepdims):
    x = rand(3, 4, 5, seed=46)
    tdim = axis if axis is not None else tuple(range(3))
    torch_oracle(lambda x: x.sum(axis, keepdims), lambda x: x.sum(tdim, keepdim=keepdims), [x], device)
    torch_oracle(lambda x: x.mean(axis, keepdims), lambda x: x.mean(tdim, keepdim=keepdims), [x], device)
    torch_oracle(lambda x: x.amax(axis, keepdims), lambda x: x.amax(tdim, keepdim=keepdims), [x], device)


def test_reshape_transpose_index_exp_log(device):
    x = np.abs(rand(2, 3, 4, seed=47)) + 0.1
    torch_oracle(lambda x: x.reshape(6, 4).T.exp()[1:3, ::2].log(),
                 lambda x: x.reshape(6, 4).T.exp()[1:3, ::2].log(), [x], device)
    torch_oracle(lambda x: x.permute(2, 0, 1)[[0, 0, 2]], lambda x: x.permute(2, 0, 1)[[0, 0, 2]], [x], device)


def test_tensor_exponents_and_a_number_to_a_tensor_power(device):
    a, b = np.abs(rand(3, 4, seed=70)) + 0.2, rand(4, seed=71)
    torch_oracle(lambda a, b: a ** b, lambda a, b: a ** b, [a, b], device)
    import torch
    torch_oracle(lambda b: 2 ** b + mc.pow(3.0, b), lambda b: 2 ** b + torch.pow(3.0, b), [b], device)


def test_pow_at_zero_base_and_negative_base_as_pytorch():
    import torch
    base, exp = [0.0, 0.0, -2.0, -2.0], [2.0, 0.5, 2.0, 0.5]          # (-2) ** 0.5: NaN in both, unwarned
    ours_a, ours_b = mc.tensor(base, requires_grad=True), mc.tensor(exp, requires_grad=True)
    theirs_a, theirs_b = torch.tensor(base, requires_grad=True), torch.tensor(exp, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (ours_a ** ours_b).sum().backward()
    (theirs_a ** theirs_b).sum().backward()
    np.testing.assert_array_equal(ours_b.grad.numpy(), theirs_b.grad.numpy())      # 0 where the base is 0
    np.testing.assert_array_equal(ours_a.grad.numpy(), theirs_a.grad.numpy())


@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), ((0, 2), False)])
def test_norm(device, dim, keepdim):
    x = rand(3, 4, 5, seed=72)
    torch_oracle(lambda x: x.norm(dim=dim, keepdim=keepdim), lambda x: x.norm(dim=dim, keepdim=keepdim), [x], device)
    torch_oracle(lambda x: x.norm(1, dim, keepdim), lambda x: x.norm(1, dim, keepdim), [x], device)


def test_norm_of_zeros_has_pytorch_zero_gradient_and_other_p_is_refused():
    x = mc.zeros(3, requires_grad=True)
    x.norm().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3, np.float32))
    with pytest.raises(NotImplementedError, match=r"norm\(p=3\).*\(x.abs\(\) \*\* p\)"):
        x.norm(3)


# Mixed dtypes, PyTorch's promotion: an integer tensor with a float number is float32 (it was the
# integers: x * 0.5 gave zeros), a float32 tensor with a float64 zero-dimensional tensor stays float32.
PROMOTION_CASES = {
    "int * 0.5": lambda L, i, f: i * 0.5,
    "0.5 * int": lambda L, i, f: 0.5 * i,
    "int + 0.5": lambda L, i, f: i + 0.5,
    "2.5 - int": lambda L, i, f: 2.5 - i,
    "int ** 0.5": lambda L, i, f: i ** 0.5,
    "int ** 2": lambda L, i, f: i ** 2,
    "2.5 ** int": lambda L, i, f: 2.5 ** i,
    "2 ** int": lambda L, i, f: 2 ** i,
    "int.sqrt()": lambda L, i, f: i.sqrt(),
    "int.clamp(min=1.5)": lambda L, i, f: i.clamp(min=1.5),
    "int.clamp(min=2)": lambda L, i, f: i.clamp(min=2),
    "exp, log, sin, cos, sigmoid, tanh of int": lambda L, i, f: L.stack([L.exp(i), L.log(i), i.sin(), i.cos(),
                                                                      L.sigmoid(i), L.tanh(i)]),
    "int * float32": lambda L, i, f: i * f,
    "maximum(int, float32)": lambda L, i, f: L.maximum(i, f),
    "float32 * float64 0-d": lambda L, i, f: f * L.tensor(0.25, dtype=L.float64),
    "int * float64 0-d": lambda L, i, f: i * L.tensor(0.25, dtype=L.float64),
    "float64 * float32": lambda L, i, f: f.double() * f,
    "bool * 2": lambda L, i, f: (i > 1) * 2,
    "bool + True": lambda L, i, f: (i > 1) + True,
    "uint8 + 3": lambda L, i, f: i.to(L.uint8) + 3,
    "int32 * 2": lambda L, i, f: i.to(L.int32) * 2,
    "float16 * 0.5": lambda L, i, f: f.half() * 0.5,
    "cat(int, float32)": lambda L, i, f: L.cat([i, f]),
    "stack(int, float32)": lambda L, i, f: L.stack([i, f]),
    "cat(float32, float64)": lambda L, i, f: L.cat([f, f.double()]),
}


@pytest.mark.parametrize("case", list(PROMOTION_CASES))
def test_mixed_dtypes_promote_as_pytorch(case):
    import torch
    fn = PROMOTION_CASES[case]
    ours = fn(mc, mc.tensor([1, 2, 3]), mc.tensor([0.5, 1.5, -2.0]))
    theirs = fn(torch, torch.tensor([1, 2, 3]), torch.tensor([0.5, 1.5, -2.0]))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), case
    np.testing.assert_allclose(ours.numpy().astype(np.float64), theirs.double().numpy(), rtol=1e-6, atol=0)


# torch.where, %, //, and the bitwise operators as PyTorch computes them (values and dtype)
OPERATOR_CASES = {
    "where(c, int, 0.5)": lambda L, i, f: L.where(i > 1, i, 0.5),
    "where(c, int, 3)": lambda L, i, f: L.where(i > 1, i, 3),
    "x.where(c, 0-d)": lambda L, i, f: f.where(i > 1, f[2] * 0),
    "where(cond) indices": lambda L, i, f: L.stack(L.where(L.tensor([[1, 0, 2], [0, 3, 0]]))),
    "int // 2": lambda L, i, f: (i - 2) // 2,
    "float // 2": lambda L, i, f: f // 2,
    "7 // int": lambda L, i, f: 7 // (i - 4),
    "float // 0": lambda L, i, f: f // 0.0,
    "int % 2": lambda L, i, f: (i - 3) % 2,
    "float % -2": lambda L, i, f: (f * 3) % -2,
    "remainder(int, 3)": lambda L, i, f: L.remainder(i * -2, 3),
    "bool & bool": lambda L, i, f: (i > 1) & (i < 3),
    "bool | True": lambda L, i, f: (i > 1) | True,
    "True ^ bool": lambda L, i, f: True ^ (i > 1),
    "~bool": lambda L, i, f: ~(i > 1),
    "~int": lambda L, i, f: ~i,
    "int & 3": lambda L, i, f: (i + 3) & 3,
    "logical_not": lambda L, i, f: L.logical_not(f - 0.5),
}


@pytest.mark.parametrize("case", list(OPERATOR_CASES))
def test_where_remainder_floor_divide_and_bitwise_operators_as_pytorch(device, case):
    import torch
    fn = OPERATOR_CASES[case]
    ours = fn(mc, mc.tensor([1, 2, 3], device=device), mc.tensor([0.5, 1.5, -2.0], device=device))
    theirs = fn(torch, torch.tensor([1, 2, 3]), torch.tensor([0.5, 1.5, -2.0]))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), case
    np.testing.assert_array_equal(ours.cpu().numpy(), theirs.numpy())


def test_where_and_remainder_gradients_against_pytorch(device):
    a, b = rand(3, 4, seed=70), rand(4, seed=71) + 3
    cond = rand(3, 4, seed=72) > 0
    torch_oracle(lambda a, b: mc.where(mc.tensor(cond, device=device), a, b) * 2,
                 lambda a, b: __import__("torch").where(__import__("torch").tensor(cond), a, b) * 2, [a, b], device)
    torch_oracle(lambda a, b: a % b, lambda a, b: a % b, [a * 5, b], device)


def test_gradcheck_where_and_remainder():
    cond = mc.tensor(rand(3, 4, seed=73) > 0)
    check(lambda a, b: mc.where(cond, a, b), T(3, 4, seed=74), T(4, seed=75))
    check(lambda a, b: mc.remainder(a * 7, b), T(3, 4, seed=76), T(4, seed=77, shift=3.0))


def test_floor_divide_has_no_derivative_and_where_wants_a_boolean_condition():
    x = mc.tensor([3.5, -3.5], requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative for aten::floor_divide is not implemented"):
        (x // 2).sum().backward()
    with pytest.raises(TypeError, match="where expected condition to be a boolean tensor"):
        mc.where(mc.tensor([1, 0]), x, 0.0)
    with pytest.raises(TypeError, match="bitwise_and is defined for bool and integer tensors, not float32"):
        x & 1
    for op in (lambda a: a // 0, lambda a: a % mc.tensor([2, 0])):
        with pytest.raises(ZeroDivisionError, match="integer division by zero"):
            op(mc.tensor([3, 4]))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_topk_against_pytorch(device, dim):
    """Values, indices (no ties: PyTorch leaves the order of equal values in topk to its algorithm) and
    the values' gradient, largest and smallest, ascending and descending."""
    import torch
    x = distinct(4, 5, seed=78).astype(np.float32)
    for ours, theirs in ((lambda a: a.sort(dim), lambda a: a.sort(dim)),
                         (lambda a: mc.sort(a, dim, descending=True), lambda a: torch.sort(a, dim, descending=True)),
                         (lambda a: a.topk(3, dim), lambda a: a.topk(3, dim)),
                         (lambda a: mc.topk(a, 2, dim, largest=False), lambda a: torch.topk(a, 2, dim, largest=False))):
        o, t = ours(mc.tensor(x, device=device)), theirs(torch.tensor(x))
        np.testing.assert_array_equal(o.indices.cpu().numpy(), t.indices.numpy())
        assert o.indices.dtype == np.int64
        torch_oracle(lambda a: ours(a).values * 2, lambda a: theirs(a).values * 2, [x], device)


def test_sort_keeps_equal_values_in_order_and_topk_checks_k():
    v, i = mc.tensor([2.0, 1.0, 2.0, 1.0]).sort(descending=True)
    assert i.tolist() == [0, 2, 1, 3] and v.tolist() == [2.0, 2.0, 1.0, 1.0]
    with pytest.raises(RuntimeError, match=r"topk: k \(5\) is out of range for dimension -1 of size 4"):
        mc.tensor([1.0, 2.0, 3.0, 4.0]).topk(5)


def test_gradcheck_sort_topk_masked_fill():
    check(lambda a: a.sort(1, descending=True).values * mc.tensor(np.arange(5.0)), T(3, 5, seed=79))
    check(lambda a: a.topk(2, 0).values, T(3, 5, seed=80))
    mask = mc.tensor(rand(3, 5, seed=81) > 0)
    check(lambda a: a.masked_fill(mask, 1.5) * 3, T(3, 5, seed=82))


def test_masked_fill_and_one_hot_as_pytorch(device):
    import torch
    x, mask = rand(3, 4, seed=83), rand(3, 4, seed=84) > 0
    torch_oracle(lambda a: a.masked_fill(mc.tensor(mask, device=device), -2.5) * 2,
                 lambda a: a.masked_fill(torch.tensor(mask), -2.5) * 2, [x], device)
    ints = mc.tensor([1, 2], device=device).masked_fill(mc.tensor([True, False], device=device), 0.7)
    assert ints.dtype == np.int64 and ints.tolist() == torch.tensor([1, 2]).masked_fill(torch.tensor([True, False]),
                                                                                         0.7).tolist()
    labels = np.array([[0, 2], [1, 1]])
    for n in (-1, 4):
        ours = mc.nn.functional.one_hot(mc.tensor(labels, device=device), n)
        assert ours.dtype == np.int64
        np.testing.assert_array_equal(ours.cpu().numpy(), torch.nn.functional.one_hot(torch.tensor(labels), n).numpy())
    with pytest.raises(TypeError, match="one_hot is only applicable to index tensor"):
        mc.nn.functional.one_hot(mc.tensor([0.0, 1.0]))
    with pytest.raises(RuntimeError, match=r"smaller than num_classes \(2\), got 2"):
        mc.nn.functional.one_hot(mc.tensor([0, 2]), 2)


def test_mixed_float_dtypes_pass_the_gradient_back_in_each_operands_dtype():
    """float32 * float64 (both with dimensions) is float64 and a float64 zero-dimensional factor leaves
    float32: either way each operand's gradient comes back in its own dtype, with PyTorch's values."""
    import torch
    for make in (lambda L: L.tensor([0.25, -1.0], dtype=L.float64, requires_grad=True),
                 lambda L: L.tensor(0.25, dtype=L.float64, requires_grad=True)):
        grads = []
        for L in (mc, torch):
            a, b = L.tensor([1.5, 2.0], requires_grad=True), make(L)
            y = a * b
            y.sum().backward()
            grads.append((str(y.dtype).replace("torch.", ""), a.grad, b.grad))
        assert grads[0][0] == grads[1][0]
        for ours, theirs in zip(grads[0][1:], grads[1][1:]):
            assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


# -------------------------------- gradcheck in float64, random upstream gradient
def test_gradcheck_tensor_powers_and_norm():
    check(lambda a, b: a ** b, T(3, 4, seed=73, shift=3.0), T(4, seed=74))
    check(lambda b: 2.0 ** b, T(3, seed=75))
    check(lambda a: a.norm(dim=1) + a.norm(), T(3, 4, seed=76))


def test_gradcheck_arithmetic_and_reductions():
    check(lambda a, b: (a * b + a / (b + 5.0) - b ** 3).sum(axis=1), T(3, 4, seed=28), T(4, seed=29))
    check(lambda a: a.mean(axis=0, keepdims=True) + a.amax(dim=1, keepdim=True), T(3, 4, seed=30))
    check(lambda a, b: a @ b, T(2, 3, 4, seed=31), T(4, 2, seed=32))
    check(lambda a: (a * a + 1.0).log().exp().abs()[1:, ::2].reshape(-1).T, T(3, 4, seed=33))
    check(lambda a: a.permute(1, 0, 2)[np.array([0, 0, 1])], T(2, 3, 2, seed=34))


@pytest.mark.parametrize("dim,keepdim", [(0, False), (1, True), (-1, False)])
def test_gradcheck_max_and_min_along_a_dim(dim, keepdim):
    check(lambda a: a.max(dim, keepdim).values * 2 + a.min(dim, keepdim)[0], T(3, 4, 5, seed=60))


def test_gradcheck_elementwise_maximum_clamp_sin_cos_expand():
    check(lambda a, b: mc.maximum(a, b) + mc.minimum(a, b) * 3, T(3, 4, seed=61), T(4, seed=62, shift=0.01))
    check(lambda a: a.clamp(min=-1.0, max=1.5), T(4, 5, seed=63, shift=0.013))
    check(lambda a: a.sin() * a.cos(), T(3, 4, seed=64))
    check(lambda a: a.unsqueeze(0).expand(3, 2, 4) * 2, T(2, 4, seed=65))
