"""The transformer side of w2c: the Discrete Transformer and everything that touches torch.

``config`` (torch-free sizes and hyper-parameters, re-exported here), ``sampler`` and
``transformer`` (the network), ``train`` (one annealed training run), ``plan`` and
``search`` (the model search over sizes, on a process pool), ``checkpoint`` (the
model.pt format, docs/checkpoint.md) and ``lower`` (a hardened network becomes IR nodes plus
trace tables, docs/compiler.md). Importing this package does not import torch.
"""

from w2c.network.config import Attempt, LayerSpec, ModelConfig, ModelSize, TrainSettings

__all__ = ["Attempt", "LayerSpec", "ModelConfig", "ModelSize", "TrainSettings"]
