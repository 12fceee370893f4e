"""Autograding of the course assignments: nbgrader masters, sandboxed kernels, a grader-side judge.

Entry point: :func:`ragfirst.grading.grader.grade_assignment` (``ragfirst grade``).

- ``master``, ``restore``      solution masters → student versions; a submission's hidden tests restored
- ``submissions``              a folder of submissions, checked and named
- ``jail``, ``sandbox``        the kernel as its own user, without network, with limits
- ``limits``                   how much one submission's kernel may use
- ``kernel_boot``, ``outcap``  what runs first inside a graded kernel
- ``judge``, ``grader``        points per test cell; the whole run
- ``result``, ``gradebook``, ``feedback``  per-student results, gradebook.csv, feedback files
- ``variants``                 per-student numbers for the cost assignment
"""
