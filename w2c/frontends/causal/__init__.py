"""The causal frontend (see docs/)."""
