"""Talking to Graph over HTTP: one client, client-side pacing, and what is retried how."""
