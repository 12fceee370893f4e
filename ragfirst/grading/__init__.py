"""Autograding of the course assignments: nbgrader masters, sandboxed kernels, a grader-side judge.

Entry point: :func:`ragfirst.grading.grader.grade_assignment` (``ragfirst grade``).
"""
