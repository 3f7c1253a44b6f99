"""Learning-rate schedules (torch.optim.lr_scheduler semantics): call step() once per epoch.

StepLR:            lr = base_lr * gamma ** (epoch // step_size)
MultiStepLR:       lr = base_lr * gamma ** (number of milestones <= epoch)
CosineAnnealingLR: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2
ExponentialLR:     lr = base_lr * gamma ** epoch
LambdaLR:          lr = base_lr * lr_lambda(epoch)
OneCycleLR (step() once per batch): from max_lr / div_factor up to max_lr over the first pct_start of
                   the steps, then down to that / final_div_factor, on cosine (or linear) curves; the
                   momentum (SGD's, or Adam's beta1) moves the opposite way between max_momentum and base_momentum
ReduceLROnPlateau: lr *= factor after `patience` epochs without improvement of the metric passed to step()
"""
import bisect
import math


class _StateMixin:
    """What every schedule shares: the current learning rates and a state_dict without the optimizer."""

    def get_last_lr(self):
        return [g["lr"] for g in self.optimizer.param_groups]

    _not_saved = ("optimizer", "lr_lambdas")          # functions are not state (PyTorch leaves them out too)

    def state_dict(self):
        return {k: v for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, sd):
        self.__dict__.update(sd)


class _Scheduler(_StateMixin):
    def __init__(self, optimizer):
        self.optimizer = optimizer
        self.base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in optimizer.param_groups]
        self.last_epoch = 0

    def lr_at(self, base_lr, epoch):
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        self._set(self.last_epoch)

    def _set(self, epoch):
        for g, base in zip(self.optimizer.param_groups, self.base_lrs):
            g["lr"] = self.lr_at(base, epoch)


class StepLR(_Scheduler):
    """lr = base_lr * gamma^(epoch // step_size): decays by gamma every step_size epochs."""
    def __init__(self, optimizer, step_size, gamma=0.1):
        super().__init__(optimizer)
        self.step_size, self.gamma = step_size, gamma

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** (epoch // self.step_size)


class MultiStepLR(_Scheduler):
    """lr = base_lr * gamma^(milestones passed): decays by gamma at each epoch in ``milestones``."""
    def __init__(self, optimizer, milestones, gamma=0.1):
        super().__init__(optimizer)
        self.milestones, self.gamma = sorted(milestones), gamma

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** bisect.bisect_right(self.milestones, epoch)


class CosineAnnealingLR(_Scheduler):
    """lr = eta_min + (base_lr - eta_min) (1 + cos(pi epoch / T_max)) / 2, stepped once an epoch."""
    def __init__(self, optimizer, T_max, eta_min=0.0):
        super().__init__(optimizer)
        self.T_max, self.eta_min = T_max, eta_min

    def lr_at(self, base_lr, epoch):
        return self.eta_min + (base_lr - self.eta_min) * (1 + math.cos(math.pi * epoch / self.T_max)) / 2


class ExponentialLR(_Scheduler):
    """lr = base_lr * gamma^epoch, stepped once an epoch."""
    def __init__(self, optimizer, gamma):
        super().__init__(optimizer)
        self.gamma = gamma

    def lr_at(self, base_lr, epoch):
        return base_lr * self.gamma ** epoch


class LambdaLR(_Scheduler):
    """lr = base_lr * lr_lambda(epoch); one function, or one per parameter group. Set at epoch 0 at once."""

    def __init__(self, optimizer, lr_lambda):
        super().__init__(optimizer)
        n = len(optimizer.param_groups)
        lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * n
        if len(lambdas) != n:
            raise ValueError(f"LambdaLR: {len(lambdas)} functions for {n} parameter groups")
        self.lr_lambdas = lambdas
        self._set(0)

    def _set(self, epoch):
        for g, base, f in zip(self.optimizer.param_groups, self.base_lrs, self.lr_lambdas):
            g["lr"] = base * f(epoch)


class OneCycleLR(_Scheduler):
    """Leslie Smith's one-cycle policy, as torch.optim.lr_scheduler.OneCycleLR (two phases)."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None, pct_start=0.3,
                 anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85, max_momentum=0.95,
                 div_factor=25.0, final_div_factor=1e4, three_phase=False):
        if three_phase:
            raise NotImplementedError("OneCycleLR: three_phase=True is not supported")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or both epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps <= 0 or not 0 <= pct_start <= 1 or anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: need total_steps > 0, 0 <= pct_start <= 1 and anneal_strategy 'cos' "
                             f"or 'linear'; got {total_steps}, {pct_start}, {anneal_strategy!r}")
        self.optimizer, self.total_steps, self.anneal_strategy = optimizer, total_steps, anneal_strategy
        groups = optimizer.param_groups
        max_lrs = list(max_lr) if isinstance(max_lr, (list, tuple)) else [max_lr] * len(groups)
        self.phases = [(float(pct_start * total_steps) - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                       (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]
        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum or betas")
        for g, top in zip(groups, max_lrs):
            g["initial_lr"], g["max_lr"] = top / div_factor, top
            g["min_lr"] = g["initial_lr"] / final_div_factor
            if cycle_momentum:
                g["max_momentum"], g["base_momentum"] = max_momentum, base_momentum
        self.base_lrs = [g["initial_lr"] for g in groups]
        self.last_epoch = 0
        self._set(0)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set(self, step):
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {step} times, more than total_steps={self.total_steps}")
        for g in self.optimizer.param_groups:
            start = 0
            for i, (end, lr0, lr1, m0, m1) in enumerate(self.phases):
                if step <= end or i == len(self.phases) - 1:
                    pct = (step - start) / (end - start)
                    g["lr"] = self._anneal(g[lr0], g[lr1], pct)
                    if self.cycle_momentum:
                        m = self._anneal(g[m0], g[m1], pct)
                        if self.use_beta1:
                            g["betas"] = (m,) + tuple(g["betas"][1:])
                        else:
                            g["momentum"] = m
                    break
                start = end


class ReduceLROnPlateau(_StateMixin):
    """Multiply the lr by ``factor`` when the metric given to step(metric) has not improved (by
    ``threshold``, in ``mode`` "min" or "max") for ``patience`` epochs; then wait ``cooldown`` epochs."""
    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4, threshold_mode="rel",
                 cooldown=0, min_lr=0.0, eps=1e-8):
        if factor >= 1.0:
            raise ValueError("ReduceLROnPlateau: factor must be < 1")
        self.optimizer = optimizer
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode, self.cooldown = threshold, threshold_mode, cooldown
        self.min_lrs = list(min_lr) if isinstance(min_lr, (list, tuple)) else [min_lr] * len(optimizer.param_groups)
        self.eps = eps
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0

    def _better(self, a):
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return a < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return a > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)

    def step(self, metric):
        metric = float(metric)
        self.last_epoch += 1
        if self._better(metric):
            self.best, self.num_bad_epochs = metric, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for g, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(g["lr"] * self.factor, min_lr)
                if g["lr"] - new > self.eps:
                    g["lr"] = new
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
