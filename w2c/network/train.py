"""One annealed training run of a Discrete Transformer, and the exactness bar it must pass.

One run: MSE on fresh batches, AdamW, cosine learning rate, geometric tau annealing
(tau_start -> tau_end), Gumbel-softmax selections (relaxed for the first quarter of the steps,
straight-through after), and the linear output head solved in closed form at every step, with a
group-L1 *sparsity* penalty on every head's and sub-MLP's contribution to the output. A
*polish* phase follows at the final temperature: hard forward, straight-through gradients,
no noise, which closes the remaining soft-to-hard gap. Whenever the hardened model is exact on
the evaluation batch (at a log point, or after polish), every head and sub-MLP it can do without
is *pruned* (masked for good, then baked into the weights), and a run that is exact early stops
early. The model search (w2c/network/search.py) runs many of these, smallest size first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import torch

from w2c.contract import EXHAUSTIVE_BUDGET
from w2c.errors import InputError
from w2c.limits import check_memory, memory_budget
from w2c.network.config import Attempt, LayerSpec, ModelConfig, ModelSize, TrainSettings
from w2c.network.sampler import Mode
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import Task, shift

EXACT_SEQUENCES = 10_000
REL_MSE_BAR = 1e-6
MAX_STEPS = 1_000_000  # annealing steps per attempt
MAX_SEED = 2**32 - 1  # base seeds 0..MAX_SEED (NumPy and torch accept every run seed of a plan)
MAX_THREADS = 1024
# Normalised hard MSE on the evaluation batch below which the hardened model counts as exact
# enough to prune and to stop early (float32 training reaches ~1e-15 on an exact model).
EXACT_LOSS = 1e-9
CHECK_CHUNK = 8192  # sequences per hardened forward pass of the exactness check
BLOCK = 16  # training batches sampled per oracle call


def nice_scale(values: np.ndarray) -> float:
    """A power of ten near the RMS of ``values`` (at least 1): keeps the network at O(1)."""
    rms = float(np.sqrt(np.mean(np.square(values)))) if values.size else 1.0
    if not math.isfinite(rms) or rms <= 1.0:
        return 1.0
    return float(10 ** round(math.log10(rms)))


def model_inputs(task: Task, x: np.ndarray, y: np.ndarray | None) -> np.ndarray:
    """The network's input: the task's channels plus y_{t-1} for feedback tasks (teacher forced)."""
    if not task.feedback:
        return x
    if y is None:
        raise ValueError("feedback tasks need y for teacher forcing")
    return np.concatenate([x, shift(_per_output(y), 1)], axis=-1)


def _per_output(y: np.ndarray) -> np.ndarray:
    """y[B, T] or y[B, T, K] as y[B, T, K]."""
    return y[..., None] if y.ndim == 2 else y


def make_config(task: Task, size: ModelSize, rng: np.random.Generator) -> ModelConfig:
    x = task.sample(rng, 4096)
    y = task.run_oracle(x)
    scales = tuple(nice_scale(x[..., c]) for c in range(task.n_channels))
    if task.feedback:
        scales += tuple(nice_scale(y_k) for y_k in np.moveaxis(_per_output(y), -1, 0))
    return ModelConfig(
        input_names=task.model_inputs,
        input_scales=scales,
        output_scale=nice_scale(y),
        length=task.length,
        layers=tuple(LayerSpec(h, m) for h, m in size.layers),
        mlp_hidden=size.mlp_hidden,
        mlp_arity=size.mlp_arity,
        outputs=task.n_outputs,
    )


# --------------------------------------------------------------------------------------------
# Exactness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exactness:
    """How the hardened model does on fresh sequences (closed-loop for feedback tasks)."""

    sequences: int
    exact_fraction: float  # tasks with an output grid: sequences exactly right on it
    rel_mse: float  # MSE / Var(y)
    passed: bool
    discrete: bool = True  # judged on the task's output grid (else by relMSE)
    short_sequences_exact: bool | None = None  # every short sequence (discrete tasks)

    def describe(self) -> str:
        if not self.discrete:
            return f"relMSE {self.rel_mse:.2e} on {self.sequences} sequences"
        text = (
            f"{self.exact_fraction:.2%} of {self.sequences} sequences exact, "
            f"relMSE {self.rel_mse:.2e}"
        )
        if self.short_sequences_exact is False:
            text += ", but wrong on some short sequence"
        elif self.exact_fraction == 1.0 and not self.passed:
            text += " (right only after rounding)"
        return text


def hardened_outputs(model: DiscreteTransformer, task: Task, x: np.ndarray) -> np.ndarray:
    """The hardened model's outputs on x[B,T,C] in float64, closed-loop for feedback tasks."""
    model64 = _copy_model(model).double()
    outputs = []
    with torch.inference_mode():
        for start in range(0, max(1, len(x)), CHECK_CHUNK):
            chunk = np.ascontiguousarray(x[start : start + CHECK_CHUNK], dtype=np.float64)
            y = model64.run_closed_loop(torch.from_numpy(chunk), task.feedback, task.output_grid)
            outputs.append(y.numpy())
    return np.concatenate(outputs) if len(outputs) > 1 else outputs[0]


def check_exactness(
    model: DiscreteTransformer,
    task: Task,
    sequences: int = EXACT_SEQUENCES,
    seed: int = 12345,
    exhaustive_budget: int = EXHAUSTIVE_BUDGET,
    short_sequences: bool = True,
) -> Exactness:
    """The task's bar: relMSE < 1e-6, and on a task with an output grid (``Task.quantise``:
    integers, multiples of 1/d) 100% exact on the grid too.

    The relMSE part holds graded tasks to it as well: a model right only after rounding
    (a/2 + b/2 + 1/4 for "a or b") is not the task's algorithm, and its rule would not be.

    Discrete tasks must also be exact on every short sequence the verifier enumerates (all
    lengths whose count stays within ``exhaustive_budget``): a model wrong on one input in a
    million would otherwise pass here and fail the compiled program's fidelity check. With
    ``short_sequences=False`` that part is left for :func:`with_short_sequences`.
    """
    rng = np.random.default_rng(seed)
    x = task.sample(rng, sequences)
    y = task.run_oracle(x)
    pred = hardened_outputs(model, task, x)
    graded = task.output_grid is not None
    if not np.all(np.isfinite(pred)):
        return Exactness(sequences, 0.0, math.inf, False, graded)
    right = (task.quantise(pred) == y).reshape(len(y), -1)  # every position and output
    exact = float(np.mean(np.all(right, axis=1)))
    rel_mse = float(np.mean((pred - y) ** 2) / max(np.var(y), 1e-12))
    passed = rel_mse < REL_MSE_BAR and (exact == 1.0 or not graded)
    result = Exactness(sequences, exact, rel_mse, passed, graded)
    if short_sequences:
        result = with_short_sequences(result, model, task, exhaustive_budget)
    return result


def with_short_sequences(
    exactness: Exactness,
    model: DiscreteTransformer,
    task: Task,
    budget: int = EXHAUSTIVE_BUDGET,
) -> Exactness:
    """``exactness`` completed by the exhaustive part of the bar (graded tasks with finite input
    domains that passed)."""
    if not (exactness.passed and exactness.discrete and task.discrete):
        return exactness
    short = exact_on_short_sequences(model, task, budget)
    return replace(exactness, passed=short, short_sequences_exact=short)


def exact_on_short_sequences(model: DiscreteTransformer, task: Task, budget: int) -> bool:
    """Every input sequence of every length up to the exhaustive verifier's, exactly right.

    The model is causal, so its outputs on every sequence of the longest length hold its
    outputs on every shorter one (their prefixes): only that length is enumerated.
    """
    from w2c.verify.exhaustive import domain_points, exhaustive_length

    longest = exhaustive_length(task, budget)
    if longest == 0:
        return True
    _, points = domain_points(task)
    index = np.indices((len(points),) * longest).reshape(longest, -1).T
    for start in range(0, len(index), 1 << 16):
        x = points[index[start : start + (1 << 16)]]
        outputs = task.quantise(hardened_outputs(model, task, x))
        if not np.array_equal(outputs, task.run_oracle(x)):
            return False
    return True


def _copy_model(model: DiscreteTransformer) -> DiscreteTransformer:
    clone = DiscreteTransformer(model.config)
    clone.load_state_dict(model.state_dict())
    clone.alive.copy_(model.alive)
    clone.pruned = model.pruned
    return clone.eval()


# --------------------------------------------------------------------------------------------
# One run
# --------------------------------------------------------------------------------------------


@dataclass
class History:
    """Per log point: the paper's training-dynamics quantities (stored in the checkpoint)."""

    step: list[int] = field(default_factory=list)
    tau: list[float] = field(default_factory=list)
    soft: list[float] = field(default_factory=list)
    hard: list[float] = field(default_factory=list)
    delta: list[float] = field(default_factory=list)
    agreement_prev: list[float] = field(default_factory=list)
    agreement_final: list[float] = field(default_factory=list)
    pointers: list[torch.Tensor] = field(default_factory=list, repr=False)

    def add(self, step: int, tau: float, soft: float, hard: float, pointers: torch.Tensor) -> float:
        """One log point; returns the read pointers' agreement with the previous one."""
        previous = self.pointers[-1] if self.pointers else pointers
        agree = float((pointers == previous).float().mean()) if pointers.numel() else 1.0
        self.step.append(step)
        self.tau.append(tau)
        self.soft.append(soft)
        self.hard.append(hard)
        self.delta.append(hard - soft)
        self.agreement_prev.append(agree)
        self.pointers.append(pointers)
        return agree

    def finish(self, final: torch.Tensor) -> None:
        """A(e): fraction of read pointers already equal to the final ones, per log point."""
        self.agreement_final = [
            float((p == final).float().mean()) if final.numel() else 1.0 for p in self.pointers
        ]
        self.pointers = []  # not needed any more, and a result travels between processes

    def arrays(self) -> dict[str, torch.Tensor]:
        return {
            "step": torch.tensor(self.step, dtype=torch.int64),
            "tau": torch.tensor(self.tau, dtype=torch.float64),
            "soft_loss": torch.tensor(self.soft, dtype=torch.float64),
            "hard_loss": torch.tensor(self.hard, dtype=torch.float64),
            "discrepancy": torch.tensor(self.delta, dtype=torch.float64),
            "agreement_prev": torch.tensor(self.agreement_prev, dtype=torch.float64),
            "agreement_final": torch.tensor(self.agreement_final, dtype=torch.float64),
        }


@dataclass
class RunResult:
    model: DiscreteTransformer
    history: History
    exactness: Exactness
    seed: int
    size: ModelSize
    settings: TrainSettings
    seconds: float
    pruned: tuple[str, ...] = ()  # heads and sub-MLPs pruned away, by their IR names
    stopped_early: int | None = None  # the annealing step the run stopped at, exact


ProgressHook = Callable[[dict[str, Any]], None]


def _tau(settings: TrainSettings, step: int) -> float:
    frac = step / max(1, settings.steps - 1)
    return settings.tau_start * (settings.tau_end / settings.tau_start) ** frac


def _batch(task: Task, rng: np.random.Generator, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = task.sample(rng, size)
    y = task.run_oracle(x)
    inputs = model_inputs(task, x, y)
    return torch.from_numpy(inputs.astype(np.float32)), torch.from_numpy(y.astype(np.float32))


class Batches:
    """Fresh training batches, sampled ``block`` batches at a time.

    One oracle call per block instead of per step: a user task's oracle runs in another
    process (w2c/usercode.py), where each call costs a round trip.
    """

    def __init__(
        self, task: Task, rng: np.random.Generator, batch: int, block: int = BLOCK
    ) -> None:
        self.task, self.rng, self.batch, self.block = task, rng, batch, block
        self.x: torch.Tensor | None = None
        self.y: torch.Tensor | None = None
        self.used = block

    def next(self) -> tuple[torch.Tensor, torch.Tensor]:
        if self.used == self.block:
            self.x, self.y = _batch(self.task, self.rng, self.batch * self.block)
            self.used = 0
        assert self.x is not None and self.y is not None
        part = slice(self.used * self.batch, (self.used + 1) * self.batch)
        self.used += 1
        return self.x[part], self.y[part]


def _normalised_mse(pred: torch.Tensor, y: torch.Tensor, scale: float) -> torch.Tensor:
    return torch.mean(((pred - y) / scale) ** 2)


HEAD = ("out_weight", "out_bias")


def solve_head(features: torch.Tensor, target: torch.Tensor, ridge: float = 1e-8) -> torch.Tensor:
    """Least-squares output head [weights..., bias] for features[n, width] -> target[n]
    (target[n, K] for K output heads: one column of weights per head).

    Solved in float64 with a small relative ridge, so duplicate or all-zero variables stay
    solvable; the solve is differentiable, so training optimises the features for the best
    head (variable projection).
    """
    design = torch.cat([features, torch.ones_like(features[:, :1])], dim=1).double()
    gram = design.T @ design
    scale = gram.diagonal().mean() + 1.0
    eye = torch.eye(gram.shape[0], dtype=gram.dtype)
    solution = torch.linalg.solve(gram + ridge * scale * eye, design.T @ target.double())
    return solution.to(features.dtype)


def _projected_loss(
    model: DiscreteTransformer,
    x: torch.Tensor,
    y: torch.Tensor,
    tau: float,
    mode: Mode,
    noise: bool,
    sparsity: float = 0.0,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Normalised MSE with the output head solved in closed form (which the model then keeps),
    and the sparsity penalty.

    The head is linear, so solving it exactly removes the lag between features and read-out
    that otherwise traps annealing in a wrong discrete structure (e.g. freebody's y[t-2] head).
    The penalty is ``sparsity`` times the summed RMS contribution of each head and sub-MLP to
    the prediction: a group L1 over variables, so the fit prefers the inputs it reads directly
    and lets spare heads fade instead of forming detours.
    """
    cfg = model.config
    features = model.residual_stream(x, tau=tau, mode=mode, noise=noise).reshape(-1, cfg.width)
    target = (y / cfg.output_scale).reshape(-1, *model.out_bias.shape)  # [n] or [n, K]
    head = solve_head(features, target)
    with torch.no_grad():
        model.out_weight.copy_(head[:-1].transpose(0, -1))
        model.out_bias.copy_(head[-1])
    prediction = features @ head[:-1] + head[-1]
    mse = torch.mean((prediction - target) ** 2)
    penalty = mse.new_zeros(())
    n = cfg.n_inputs
    if sparsity > 0 and cfg.width > n:
        weights = head[n:-1].reshape(cfg.width - n, -1)  # [variables, outputs]
        contributions = features[:, n:, None] * weights  # [samples, variables, outputs]
        penalty = sparsity * torch.sqrt(contributions.square().sum(2).mean(0) + 1e-12).sum()
    return mse, penalty


@torch.no_grad()
def _hard_loss(model: DiscreteTransformer, x: torch.Tensor, y: torch.Tensor) -> float:
    """Normalised MSE of the hardened model with its head re-solved on (x, y)."""
    return float(_projected_loss(model, x, y, 1.0, "hard", noise=False)[0])


@torch.no_grad()
def prune_spare(model: DiscreteTransformer, x: torch.Tensor, y: torch.Tensor) -> list[int]:
    """Prune every head and sub-MLP the hardened model stays exact without, on (x, y).

    Greedy, the smallest contribution to the output first; a variable whose removal lifts the
    re-solved hard loss above EXACT_LOSS is kept. Returns the variables pruned by this call.
    """
    cfg = model.config
    stream = model.residual_stream(x, mode="hard").reshape(-1, cfg.width)
    weights = model.out_weight.reshape(-1, cfg.width)  # [outputs, width]
    contribution = (stream[:, None, :] * weights).square().sum(1).mean(0).sqrt()
    dead = set(model.dead_variables())
    order = sorted(range(cfg.n_inputs, cfg.width), key=lambda v: (float(contribution[v]), v))
    pruned = []
    for variable in order:
        if variable in dead:
            continue
        model.prune(variable)
        if _hard_loss(model, x, y) <= EXACT_LOSS:
            pruned.append(variable)
        else:
            model.prune(variable, dead=False)
    _hard_loss(model, x, y)  # leaves the head solved for the surviving variables
    return pruned


def train_run(
    task: Task,
    size: ModelSize,
    settings: TrainSettings,
    seed: int,
    on_log: ProgressHook | None = None,
) -> RunResult:
    """One seeded annealing run plus polish; returns the (pruned) model and its exactness.

    The exactness is the random-sequence part of the bar; the search completes it with
    :func:`with_short_sequences` once the model also compiles cleanly.
    """
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    config = make_config(task, size, rng)
    model = DiscreteTransformer(config)
    eval_x, eval_y = _batch(task, np.random.default_rng(seed + 7919), settings.eval_batch)
    history = History()
    stopped = None
    if size.trainable:
        stopped = _anneal(model, task, settings, rng, eval_x, eval_y, history, on_log)
        if stopped is None:
            polish_loss = _polish(model, task, settings, rng)
            if polish_loss is not None:  # one more log point: the delivered (polished) model
                hard = _hard_loss(model, eval_x, eval_y)
                step = settings.steps + settings.polish_steps - 1
                history.add(step, settings.tau_end, polish_loss, hard, model.pointers())
            if _hard_loss(model, eval_x, eval_y) <= EXACT_LOSS:
                prune_spare(model, eval_x, eval_y)
    fit_output_head(model, task, rng)
    history.finish(model.pointers())
    pruned = tuple(model.variable_names()[v - config.n_inputs] for v in model.dead_variables())
    model.bake_pruning()
    exactness = check_exactness(model, task, short_sequences=False)
    seconds = time.perf_counter() - start
    return RunResult(
        model.float(), history, exactness, seed, size, settings, seconds, pruned, stopped
    )


def _anneal(
    model: DiscreteTransformer,
    task: Task,
    settings: TrainSettings,
    rng: np.random.Generator,
    eval_x: torch.Tensor,
    eval_y: torch.Tensor,
    history: History,
    on_log: ProgressHook | None,
) -> int | None:
    """The annealing phase; the step it stopped at when the model got exact early, else None.

    At a log point where the hardened model is exact on the evaluation batch, spare heads and
    sub-MLPs are pruned and the model is held to the random-sequence bar; passing it ends the
    run (no polish needed: the hard loss is already at float precision).
    """
    reads = [p for n, p in model.named_parameters() if n.endswith("_read")]
    others = [p for n, p in model.named_parameters() if not n.endswith("_read") and n not in HEAD]
    optimiser = torch.optim.AdamW(
        [{"params": others}, {"params": reads, "lr": settings.lr * settings.read_lr_scale}],
        lr=settings.lr,
        weight_decay=settings.weight_decay,
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, settings.steps)
    history.pointers.append(model.pointers())  # the initial pointers, for the first agreement
    batches = Batches(task, rng, settings.batch)
    for step in range(settings.steps):
        tau = _tau(settings, step)
        x, y = batches.next()
        mode: Mode = "straight" if step >= settings.straight_from * settings.steps else "soft"
        mse, penalty = _projected_loss(model, x, y, tau, mode, True, settings.sparsity)
        optimiser.zero_grad(set_to_none=True)
        (mse + penalty).backward()
        optimiser.step()
        schedule.step()
        if step % settings.log_every == 0 or step == settings.steps - 1:
            hard = _hard_loss(model, eval_x, eval_y)
            soft = float(mse.detach())
            if len(history.step) == 0:
                history.pointers.clear()
            agree = history.add(step, tau, soft, hard, model.pointers())
            if on_log is not None:
                on_log({"step": step, "tau": tau, "soft": soft, "hard": hard, "agreement": agree})
            if hard <= EXACT_LOSS and _exact_after_pruning(model, task, rng, eval_x, eval_y):
                return step
    return None


def _exact_after_pruning(
    model: DiscreteTransformer,
    task: Task,
    rng: np.random.Generator,
    eval_x: torch.Tensor,
    eval_y: torch.Tensor,
) -> bool:
    """Prune what the exact model does not need, fit the head, and try the random bar."""
    prune_spare(model, eval_x, eval_y)
    fit_output_head(model, task, rng)
    return check_exactness(model, task, short_sequences=False).passed


def _polish(
    model: DiscreteTransformer,
    task: Task,
    settings: TrainSettings,
    rng: np.random.Generator,
) -> float | None:
    """Polish the hardened model (straight-through at the final temperature, no noise).

    Returns the last polish loss (None when nothing was polished). Stops once the loss is at
    float precision (EXACT_LOSS / 1000): nothing is left to close.
    """
    loss_value = None
    # Straight-through at the final temperature, without noise: the forward is the hardened
    # model, and the soft gradient still reaches attention scores and read logits, so a
    # near-miss head (right on 97% of positions) can be pulled onto its exact pattern; a read
    # that still flips here shows in the post-polish log point of the history.
    params = [p for n, p in model.named_parameters() if n not in HEAD]
    if settings.polish_steps > 0 and params:
        optimiser = torch.optim.Adam(params, lr=settings.lr / 3)
        schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, settings.polish_steps)
        batches = Batches(task, rng, settings.batch)
        for _ in range(settings.polish_steps):
            x, y = batches.next()
            loss, _ = _projected_loss(model, x, y, settings.tau_end, "straight", noise=False)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_value = float(loss.detach())
            if loss_value <= EXACT_LOSS / 1000:
                break
    fit_output_head(model, task, rng)
    return loss_value


@torch.no_grad()
def fit_output_head(
    model: DiscreteTransformer, task: Task, rng: np.random.Generator, sequences: int = 4096
) -> None:
    """Least-squares fit of the linear output head on the hardened stream (float64).

    The head is linear in the variables, so its optimum is one solve away; this makes linear
    tasks' coefficients exact to float precision instead of 'close after Adam'. Pruned
    variables read 0 here, so their weights come out 0.
    """
    x = task.sample(rng, sequences)
    y = task.run_oracle(x)
    inputs = torch.from_numpy(model_inputs(task, x, y))
    model64 = _copy_model(model).double()
    stream = model64.residual_stream(inputs, mode="hard").reshape(-1, model.config.width)
    target = torch.from_numpy(y.reshape(-1, *model.out_bias.shape)) / model.config.output_scale
    solution = solve_head(stream, target, ridge=1e-13)
    model.out_weight.copy_(solution[:-1].transpose(0, -1).to(model.out_weight.dtype))
    model.out_bias.copy_(solution[-1].to(model.out_bias.dtype))
    for variable in model.dead_variables():
        model.out_weight[..., variable] = 0.0


# --------------------------------------------------------------------------------------------
# Arguments, memory and the checkpoint's record
# --------------------------------------------------------------------------------------------


def check_whole(value: object, name: str, lo: int, hi: int) -> None:
    """An int (not a bool) in lo..hi, else an InputError naming it."""
    if type(value) is not int or not lo <= value <= hi:
        raise InputError(f"{name} must be an integer in {lo}..{hi}, got {value!r}"[:200])


def check_positive(value: object, name: str, hi: float = math.inf) -> None:
    """A finite number in (0, hi], else an InputError naming it."""
    ok = type(value) in (int, float) and math.isfinite(value) and 0 < value <= hi  # type: ignore[operator]
    if not ok:
        bound = "" if hi == math.inf else f" at most {hi:g}"
        raise InputError(f"{name} must be a finite positive number{bound}, got {value!r}"[:200])


def check_attempt(attempt: Attempt) -> None:
    """An attempt's size and settings within the limits (docs/checkpoint.md)."""
    settings, size = attempt.settings, attempt.size
    check_whole(settings.steps, "steps", 1, MAX_STEPS)
    check_whole(settings.polish_steps, "polish_steps", 0, MAX_STEPS)
    for name in ("batch", "eval_batch"):
        check_whole(getattr(settings, name), name, 1, 10**6)
    check_whole(settings.log_every, "log_every", 1, MAX_STEPS)
    for name in ("lr", "tau_start", "tau_end", "read_lr_scale"):
        check_positive(getattr(settings, name), name)
    if not 1 <= len(size.layers) <= 8 or not all(
        type(h) is int and type(m) is int and 0 <= h <= 16 and 0 <= m <= 16 for h, m in size.layers
    ):
        raise InputError(f"model size {size.describe()}: 1..8 layers of 0..16 heads/sub-MLPs")
    check_whole(size.mlp_hidden, "mlp_hidden", 1, 256)
    check_whole(size.mlp_arity, "mlp_arity", 1, 4)


def _shape_of(task: Task, size: ModelSize) -> ModelConfig:
    """The config make_config would build, without sampling (scales do not change sizes)."""
    names = task.model_inputs
    return ModelConfig(
        input_names=names,
        input_scales=(1.0,) * len(names),
        output_scale=1.0,
        length=task.length,
        layers=tuple(LayerSpec(h, m) for h, m in size.layers),
        mlp_hidden=size.mlp_hidden,
        mlp_arity=size.mlp_arity,
        outputs=task.n_outputs,
    )


def training_memory(task: Task, attempts: Sequence[Attempt]) -> float:
    """Bytes the largest attempt needs (docs/checkpoint.md, "Memory").

    The largest of: a training step's autograd graph (float32, ``batch`` sequences), the hard
    evaluation batch (float32), the exactness check (float64, CHECK_CHUNK sequences at a
    time) and the output-head fit on 4096 (float64, no gradients), plus the sampled batches.
    """
    steps, channels = task.length, task.n_channels + 1
    needed = 0.0
    largest_batch = EXACT_SEQUENCES
    for attempt in attempts:
        config, settings = _shape_of(task, attempt.size), attempt.settings
        needed = max(
            needed,
            4.0 * config.training_elements(settings.batch),
            4.0 * config.forward_elements(settings.eval_batch),
            8.0 * config.forward_elements(CHECK_CHUNK),
            8.0 * config.forward_elements(4096, keep_traces=True),
        )
        largest_batch = max(largest_batch, settings.batch * BLOCK, settings.eval_batch)
    return needed + 8.0 * largest_batch * steps * channels * 3


def check_training_memory(task: Task, attempts: Sequence[Attempt], jobs: int = 1) -> None:
    """Refuse (exit 2) a task whose attempts, ``jobs`` at a time, would exhaust memory."""
    batch = max(a.settings.batch for a in attempts)
    check_memory(
        jobs * training_memory(task, attempts),
        f"training {task.name} (length {task.length}, {task.n_channels} channel(s), batch "
        f"{batch}, {jobs} attempt(s) at a time)",
    )


def jobs_that_fit(task: Task, attempts: Sequence[Attempt], jobs: int) -> int:
    """How many attempts may run at once within the memory budget: ``jobs``, or fewer when that
    many would not fit (a search runs its plan more slowly rather than not at all). A single
    attempt that does not fit is refused (InputError, exit 2)."""
    check_training_memory(task, attempts, 1)
    return max(1, min(jobs, int(memory_budget() // training_memory(task, attempts))))


def run_record(result: RunResult, seconds: float, attempts: int) -> dict[str, Any]:
    """The checkpoint's ``training`` field (docs/checkpoint.md) for the run that made a model."""
    settings = result.settings
    history = result.history
    return {
        "seed": result.seed,
        "steps": settings.steps,
        "polish_steps": settings.polish_steps,
        "batch": settings.batch,
        "lr": settings.lr,
        "tau_start": settings.tau_start,
        "tau_end": settings.tau_end,
        "seconds": round(seconds, 3),
        "attempts": attempts,
        "final_soft_loss": history.soft[-1] if history.soft else 0.0,
        "final_hard_loss": history.hard[-1] if history.hard else 0.0,
        "exact_fraction": result.exactness.exact_fraction,
        "rel_mse": min(result.exactness.rel_mse, 1e300),
        "size": result.size.describe(),
        "history": history.arrays(),
    }


def better(a: Exactness, b: Exactness) -> bool:
    """Is ``a`` closer to the bar than ``b``?"""
    return (a.passed, a.exact_fraction, -a.rel_mse) > (b.passed, b.exact_fraction, -b.rel_mse)
