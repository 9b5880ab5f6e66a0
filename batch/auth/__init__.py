"""Credentials: where the bearer token for Graph comes from."""
