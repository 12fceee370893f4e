"""What every part of the course runs on: settings, CPU threads, the offline guard, data files, notebooks.

- ``config``    paths, the cache dir, the LLM backend rule, offline defaults
- ``cpu``       thread counts and the OpenMP spin policy (set when ``ragfirst`` is imported)
- ``netguard``  the offline tripwire installed at interpreter start
- ``sourced``   dated, sourced tables (``data/prices.csv``, ``data/compute.csv``): the one reader
- ``jsonl``     JSON Lines files, checked line by line
- ``logistic``  the one logistic regression (intent router, RAG decline gate)
- ``claims``    a notebook's claims checked by tolerance or invariant
- ``fonts``     the Korean font for charts
- ``notebook``  the first cell of every notebook
- ``envcheck``  notebook 00's environment report
- ``lab``       ``make lab``: JupyterLab for learners or instructors

Kept import-light: the offline guard imports ``ragfirst`` at every interpreter start.
"""
