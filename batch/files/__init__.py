"""The files graph-batch writes: which paths are one file, and how a private file is made.

`identity` tells whether two spellings name one file, `collisions` refuses a command whose
outputs would overwrite one of its own inputs or outputs, and `private` creates and opens every
file the tool writes (0600, never through a symlink, a full disk reported in one line).
"""
