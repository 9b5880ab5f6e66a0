"""Job control for unattended runs: lock, shard, resume, failures CSV and the destructive guard.

Each module is small and pure where it can be, so the runner wires each in a few lines.
"""
