"""The transformer side of w2c: the Discrete Transformer and everything that touches torch.

``config`` (torch-free sizes and hyper-parameters, re-exported here), ``sampler`` and
``transformer`` (the network), ``train`` (annealed training with restarts), ``checkpoint`` (the
model.pt format, docs/checkpoint.md) and ``lower`` (a hardened network becomes IR nodes plus
trace tables, docs/compiler.md). Importing this package does not import torch.
"""

from w2c.network.config import LayerSpec, ModelConfig, ModelSize, Recipe, TrainSettings

__all__ = ["LayerSpec", "ModelConfig", "ModelSize", "Recipe", "TrainSettings"]
