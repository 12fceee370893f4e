"""The course's diagrams as plain SVG text: byte-for-byte reproducible, no Graphviz, no network.

- ``flowchart``  the seed's decision flowchart, a project's path highlighted (notebook 05)
- ``course``     the box-and-arrow diagrams in docs/diagrams/ (``python -m ragfirst.diagrams.course``)
"""
