"""The CoT-bond frontend: `w2c bonds` (docs/bonds.md); public API in w2c.bonds."""
