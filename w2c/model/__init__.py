"""The Discrete Transformer: config (torch-free), sampler and network."""

from w2c.model.config import LayerSpec, ModelConfig, ModelSize, Recipe, TrainSettings

__all__ = ["LayerSpec", "ModelConfig", "ModelSize", "Recipe", "TrainSettings"]
