"""Annealed training of a Discrete Transformer on a task, with restarts until the model is exact.

One run: MSE on fresh batches, AdamW, cosine learning rate, geometric tau annealing
(tau_start -> tau_end), Gumbel-softmax selections (relaxed for the first quarter of the steps,
straight-through after), and the linear output head solved in closed form at every step. A
*polish* phase follows at the final temperature: hard forward, straight-through gradients,
no noise, which closes the remaining soft-to-hard gap. The hardened model must then pass the
task's exactness bar on fresh sequences (closed-loop for feedback tasks); otherwise the next
seed / size of the task's recipe is tried.
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
from w2c.errors import CheckFailed, InputError
from w2c.limits import check_memory
from w2c.network.config import LayerSpec, ModelConfig, ModelSize, Recipe, TrainSettings
from w2c.network.sampler import Mode
from w2c.network.transformer import DiscreteTransformer
from w2c.tasks import Task, shift
from w2c.threads import torch_threads

EXACT_SEQUENCES = 10_000
REAL_REL_MSE_BAR = 1e-6
MAX_STEPS = 1_000_000  # annealing steps per attempt
MAX_SEED = 2**32 - 1  # base seeds 0..MAX_SEED (NumPy and torch accept every run seed of a plan)
MAX_THREADS = 1024

DEFAULT_RECIPE = Recipe(
    sizes=(
        ModelSize(((2, 1),), 8),
        ModelSize(((2, 2),), 16),
        ModelSize(((2, 1), (1, 1)), 16),
    ),
)


def recipe_for(task: Task) -> Recipe:
    """The corpus recipe for a corpus task, else the default restart plan."""
    from w2c.corpus.recipes import RECIPES

    if task.source_sha256 is None and task.name in RECIPES:
        return RECIPES[task.name]
    return DEFAULT_RECIPE


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
        return text


def hardened_outputs(model: DiscreteTransformer, task: Task, x: np.ndarray) -> np.ndarray:
    """The hardened model's outputs on x[B,T,C] in float64, closed-loop for feedback tasks."""
    model64 = _copy_model(model).double()
    xt = torch.from_numpy(np.ascontiguousarray(x, dtype=np.float64))
    y = model64.run_closed_loop(xt, task.feedback, task.output_grid)
    return y.numpy()


def check_exactness(
    model: DiscreteTransformer,
    task: Task,
    sequences: int = EXACT_SEQUENCES,
    seed: int = 12345,
    exhaustive_budget: int = EXHAUSTIVE_BUDGET,
) -> Exactness:
    """The task's bar: 100% exact on the task's output grid (``Task.quantise``: integers,
    multiples of 1/d); real outputs relMSE < 1e-6.

    Discrete tasks must also be exact on every short sequence the verifier enumerates (all
    lengths whose count stays within ``exhaustive_budget``): a model wrong on one input in a
    million would otherwise pass here and fail the compiled program's fidelity check.
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
    passed = exact == 1.0 if graded else rel_mse < REAL_REL_MSE_BAR
    short = None
    if passed and graded and task.discrete:
        short = passed = exact_on_short_sequences(model, task, exhaustive_budget)
    return Exactness(sequences, exact, rel_mse, passed, graded, short)


def exact_on_short_sequences(model: DiscreteTransformer, task: Task, budget: int) -> bool:
    """Every input sequence of every length up to the exhaustive verifier's, exactly right."""
    from w2c.verify.exhaustive import domain_points, exhaustive_length

    longest = exhaustive_length(task, budget)
    if longest == 0:
        return True
    _, points = domain_points(task)
    for length in range(1, longest + 1):
        index = np.indices((len(points),) * length).reshape(length, -1).T
        for start in range(0, len(index), 1 << 16):
            x = points[index[start : start + (1 << 16)]]
            outputs = task.quantise(hardened_outputs(model, task, x))
            if not np.array_equal(outputs, task.run_oracle(x)):
                return False
    return True


def _copy_model(model: DiscreteTransformer) -> DiscreteTransformer:
    clone = DiscreteTransformer(model.config)
    clone.load_state_dict(model.state_dict())
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

    def finish(self, final: torch.Tensor) -> None:
        """A(e): fraction of read pointers already equal to the final ones, per log point."""
        self.agreement_final = [
            float((p == final).float().mean()) if final.numel() else 1.0 for p in self.pointers
        ]

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


ProgressHook = Callable[[dict[str, Any]], None]


def _tau(settings: TrainSettings, step: int) -> float:
    frac = step / max(1, settings.steps - 1)
    return settings.tau_start * (settings.tau_end / settings.tau_start) ** frac


def _batch(task: Task, rng: np.random.Generator, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    x = task.sample(rng, size)
    y = task.run_oracle(x)
    inputs = model_inputs(task, x, y)
    return torch.from_numpy(inputs.astype(np.float32)), torch.from_numpy(y.astype(np.float32))


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
) -> torch.Tensor:
    """Normalised MSE with the output head solved in closed form, which the model then keeps.

    The head is linear, so solving it exactly removes the lag between features and read-out
    that otherwise traps annealing in a wrong discrete structure (e.g. freebody's y[t-2] head).
    """
    cfg = model.config
    features = model.residual_stream(x, tau=tau, mode=mode, noise=noise).reshape(-1, cfg.width)
    target = (y / cfg.output_scale).reshape(-1, *model.out_bias.shape)  # [n] or [n, K]
    head = solve_head(features, target)
    with torch.no_grad():
        model.out_weight.copy_(head[:-1].transpose(0, -1))
        model.out_bias.copy_(head[-1])
    prediction = features @ head[:-1] + head[-1]
    return torch.mean((prediction - target) ** 2)


def train_run(
    task: Task,
    size: ModelSize,
    settings: TrainSettings,
    seed: int,
    on_log: ProgressHook | None = None,
) -> RunResult:
    """One seeded annealing run plus polish; returns the model and its exactness."""
    start = time.perf_counter()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    config = make_config(task, size, rng)
    model = DiscreteTransformer(config)
    scale = config.output_scale
    eval_x, eval_y = _batch(task, np.random.default_rng(seed + 7919), settings.eval_batch)
    history = History()

    reads = [p for n, p in model.named_parameters() if n.endswith("_read")]
    others = [p for n, p in model.named_parameters() if not n.endswith("_read") and n not in HEAD]
    optimiser = torch.optim.AdamW(
        [{"params": others}, {"params": reads, "lr": settings.lr * settings.read_lr_scale}],
        lr=settings.lr,
        weight_decay=settings.weight_decay,
    )
    schedule = torch.optim.lr_scheduler.CosineAnnealingLR(optimiser, settings.steps)
    previous = model.pointers()
    for step in range(settings.steps):
        tau = _tau(settings, step)
        x, y = _batch(task, rng, settings.batch)
        mode: Mode = "straight" if step >= settings.straight_from * settings.steps else "soft"
        loss = _projected_loss(model, x, y, tau, mode, noise=True)
        optimiser.zero_grad(set_to_none=True)
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % settings.log_every == 0 or step == settings.steps - 1:
            with torch.no_grad():
                hard = float(_normalised_mse(model(eval_x, mode="hard"), eval_y, scale))
            pointers = model.pointers()
            agree = float((pointers == previous).float().mean()) if pointers.numel() else 1.0
            previous = pointers
            soft = float(loss.detach())
            history.step.append(step)
            history.tau.append(tau)
            history.soft.append(soft)
            history.hard.append(hard)
            history.delta.append(hard - soft)
            history.agreement_prev.append(agree)
            history.pointers.append(pointers)
            if on_log is not None:
                on_log({"step": step, "tau": tau, "soft": soft, "hard": hard, "agreement": agree})

    polish_loss = _polish(model, task, settings, rng)
    if polish_loss is not None:  # one more log point: the delivered (polished) model
        with torch.no_grad():
            hard = float(_normalised_mse(model(eval_x, mode="hard"), eval_y, scale))
        pointers = model.pointers()
        history.step.append(settings.steps + settings.polish_steps - 1)
        history.tau.append(settings.tau_end)
        history.soft.append(polish_loss)
        history.hard.append(hard)
        history.delta.append(hard - polish_loss)
        history.agreement_prev.append(
            float((pointers == previous).float().mean()) if pointers.numel() else 1.0
        )
        history.pointers.append(pointers)
    history.finish(model.pointers())
    exactness = check_exactness(model, task)
    seconds = time.perf_counter() - start
    return RunResult(model.float(), history, exactness, seed, size, settings, seconds)


def _polish(
    model: DiscreteTransformer,
    task: Task,
    settings: TrainSettings,
    rng: np.random.Generator,
) -> float | None:
    """Polish the hardened model (straight-through at the final temperature, no noise).

    Returns the last polish loss (None when nothing was polished).
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
        for _ in range(settings.polish_steps):
            x, y = _batch(task, rng, settings.batch)
            loss = _projected_loss(model, x, y, settings.tau_end, "straight", noise=False)
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
            schedule.step()
            loss_value = float(loss.detach())
    fit_output_head(model, task, rng)
    return loss_value


@torch.no_grad()
def fit_output_head(
    model: DiscreteTransformer, task: Task, rng: np.random.Generator, sequences: int = 4096
) -> None:
    """Least-squares fit of the linear output head on the hardened stream (float64).

    The head is linear in the variables, so its optimum is one solve away; this makes linear
    tasks' coefficients exact to float precision instead of 'close after Adam'.
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


# --------------------------------------------------------------------------------------------
# Restarts
# --------------------------------------------------------------------------------------------


@dataclass
class TrainOutcome:
    """The best run and every attempt made to get it."""

    best: RunResult
    attempts: list[tuple[int, ModelSize, Exactness, float]]
    total_seconds: float

    @property
    def passed(self) -> bool:
        return self.best.exactness.passed


def attempts_of(recipe: Recipe, base_seed: int) -> list[tuple[ModelSize, TrainSettings, int]]:
    """The restart plan: each size in order, ``seeds_per_size`` seeds each, variants cycling."""
    plan = []
    for index, size in enumerate(recipe.sizes):
        for k in range(recipe.seeds_per_size):
            variant = dict(recipe.variants[k % len(recipe.variants)]) if recipe.variants else {}
            plan.append((size, replace(recipe.settings, **variant), base_seed + 1000 * index + k))
    return plan


def train(
    task: Task,
    recipe: Recipe | None = None,
    seed: int = 0,
    steps: int | None = None,
    max_attempts: int | None = None,
    on_log: ProgressHook | None = None,
    on_attempt: Callable[[int, ModelSize, int], None] | None = None,
    on_result: Callable[[RunResult], None] | None = None,
    require_exact: bool = True,
    accept: Callable[[RunResult], bool] | None = None,
    threads: int = 1,
) -> TrainOutcome:
    """Train until the hardened model passes the exactness bar, trying the recipe's restarts.

    Runs on ``threads`` torch threads (restored afterwards): a fixed count makes the trained
    weights the same on every machine for the same seed, and one thread is also the fastest for
    models this small.

    ``accept`` is an extra bar an exact run must pass to stop the restarts (the corpus asks
    that the model compile to a program without fallbacks); when no exact run passes it, the
    first exact run is kept. Raises CheckFailed when no attempt is exact and ``require_exact``.
    """
    recipe = recipe or DEFAULT_RECIPE
    check_arguments(task, recipe, seed, steps, max_attempts, threads)
    if steps is not None:
        recipe = replace(recipe, settings=replace(recipe.settings, steps=steps))
    check_training_memory(task, recipe)
    plan = attempts_of(recipe, seed)
    if max_attempts is not None:
        plan = plan[: max(1, max_attempts)]
    start = time.perf_counter()
    attempts: list[tuple[int, ModelSize, Exactness, float]] = []
    best: RunResult | None = None
    for index, (size, settings, run_seed) in enumerate(plan):
        if on_attempt is not None:
            on_attempt(index, size, run_seed)
        with torch_threads(threads):
            result = train_run(task, size, settings, run_seed, on_log)
        attempts.append((run_seed, size, result.exactness, result.seconds))
        if on_result is not None:
            on_result(result)
        if best is None or _better(result.exactness, best.exactness):
            best = result
        if result.exactness.passed and (accept is None or accept(result)):
            best = result
            break
    assert best is not None
    outcome = TrainOutcome(best, attempts, time.perf_counter() - start)
    if require_exact and not outcome.passed:
        raise CheckFailed(
            f"{task.name}: no attempt reached the exactness bar after {len(attempts)} attempts "
            f"({outcome.total_seconds:.0f} s); best: {best.exactness.describe()}"
        )
    return outcome


def _whole(value: object, name: str, lo: int, hi: int) -> None:
    if type(value) is not int or not lo <= value <= hi:
        raise InputError(f"{name} must be an integer in {lo}..{hi}, got {value!r}"[:200])


def _positive(value: object, name: str) -> None:
    ok = type(value) in (int, float) and math.isfinite(value) and value > 0  # type: ignore[arg-type]
    if not ok:
        raise InputError(f"{name} must be a finite positive number, got {value!r}"[:200])


def check_arguments(
    task: object,
    recipe: Recipe,
    seed: object,
    steps: object,
    max_attempts: object,
    threads: object,
) -> None:
    """The public entry point's numbers (and the recipe's settings) before any work: InputError."""
    if not isinstance(task, Task):
        raise InputError(f"train needs a w2c.Task, not {type(task).__name__}")
    if not task.has_oracle:
        raise InputError(f"task {task.name} has no oracle to train on")
    _whole(seed, "seed", 0, MAX_SEED)
    if steps is not None:
        _whole(steps, "steps", 1, MAX_STEPS)
    if max_attempts is not None:
        _whole(max_attempts, "max_attempts", 1, 10**6)
    _whole(threads, "threads", 1, MAX_THREADS)
    if not isinstance(recipe, Recipe) or not recipe.sizes:
        raise InputError("a training recipe needs at least one model size")
    _whole(recipe.seeds_per_size, "seeds_per_size", 1, 10**6)
    settings = recipe.settings
    _whole(settings.steps, "steps", 1, MAX_STEPS)
    _whole(settings.polish_steps, "polish_steps", 0, MAX_STEPS)
    for name in ("batch", "eval_batch"):
        _whole(getattr(settings, name), name, 1, 10**6)
    _whole(settings.log_every, "log_every", 1, MAX_STEPS)
    for name in ("lr", "tau_start", "tau_end", "read_lr_scale"):
        _positive(getattr(settings, name), name)
    for size in recipe.sizes:
        if not 1 <= len(size.layers) <= 8 or not all(
            type(h) is int and type(m) is int and 0 <= h <= 16 and 0 <= m <= 16
            for h, m in size.layers
        ):
            raise InputError(f"model size {size.describe()}: 1..8 layers of 0..16 heads/sub-MLPs")
        _whole(size.mlp_hidden, "mlp_hidden", 1, 256)
        _whole(size.mlp_arity, "mlp_arity", 1, 4)


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


def training_memory(task: Task, recipe: Recipe) -> float:
    """Bytes the largest attempt needs (docs/checkpoint.md, "Memory").

    The largest of: a training step's autograd graph (float32, ``batch`` sequences), the hard
    evaluation batch (float32), the exactness check on EXACT_SEQUENCES fresh sequences and the
    output-head fit on 4096 (float64, no gradients), plus the sampled batch itself.
    """
    settings = recipe.settings
    steps, channels = task.length, task.n_channels + 1
    needed = 0.0
    for size in recipe.sizes:
        config = _shape_of(task, size)
        needed = max(
            needed,
            4.0 * config.training_elements(settings.batch),
            4.0 * config.forward_elements(settings.eval_batch),
            8.0 * config.forward_elements(EXACT_SEQUENCES),
            8.0 * config.forward_elements(4096, keep_traces=True),
        )
    largest_batch = max(settings.batch, settings.eval_batch, EXACT_SEQUENCES)
    return needed + 8.0 * largest_batch * steps * channels * 3


def check_training_memory(task: Task, recipe: Recipe) -> None:
    """Refuse (exit 2) a task/recipe whose length x channels x batch would exhaust memory."""
    check_memory(
        training_memory(task, recipe),
        f"training {task.name} (length {task.length}, {task.n_channels} channel(s), batch "
        f"{recipe.settings.batch})",
    )


def training_record(outcome: TrainOutcome) -> dict[str, Any]:
    """The checkpoint's ``training`` field (docs/checkpoint.md)."""
    best = outcome.best
    settings = best.settings
    history = best.history
    return {
        "seed": best.seed,
        "steps": settings.steps,
        "polish_steps": settings.polish_steps,
        "batch": settings.batch,
        "lr": settings.lr,
        "tau_start": settings.tau_start,
        "tau_end": settings.tau_end,
        "seconds": round(outcome.total_seconds, 3),
        "attempts": len(outcome.attempts),
        "final_soft_loss": history.soft[-1] if history.soft else 0.0,
        "final_hard_loss": history.hard[-1] if history.hard else 0.0,
        "exact_fraction": best.exactness.exact_fraction,
        "rel_mse": min(best.exactness.rel_mse, 1e300),
        "size": best.size.describe(),
        "history": history.arrays(),
    }


def _better(a: Exactness, b: Exactness) -> bool:
    return (a.passed, a.exact_fraction, -a.rel_mse) > (b.passed, b.exact_fraction, -b.rel_mse)


def describe_sizes(sizes: Sequence[ModelSize]) -> str:
    return ", ".join(s.describe() for s in sizes)
