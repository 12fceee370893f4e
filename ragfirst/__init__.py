"""ragfirst: the helper library of the course "fine-tuning as the last resort".

Kept import-light on purpose: the offline guard imports this package at every
interpreter start inside the course's virtual environment.
"""

__version__ = "0.1.0"
