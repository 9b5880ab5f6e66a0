"""What people read on a terminal: one rich console policy, one counts table, one progress.

Modules here import `rich`; only code that draws imports them, so `validate` and `--help` start
without it.
"""
