"""ragfirst: the helper library of the course "fine-tuning as the last resort".

Kept import-light on purpose: the offline guard imports this package at every
interpreter start inside the course's virtual environment. Importing it sets
the OpenMP spin policy (see :mod:`ragfirst.runtime.cpu`), which must happen before
torch or the embedding model load.
"""

from ragfirst.runtime import cpu as _cpu

_cpu.configure()

__version__ = "0.1.0"
