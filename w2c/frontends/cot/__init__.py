"""The cot frontend (see docs/)."""
