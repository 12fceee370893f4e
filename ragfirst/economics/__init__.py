"""Why fine-tuning became the last resort, in numbers (notebooks 01, 04 and 05).

- ``hardware``     memory, decoding speed and training compute, as lower bounds
- ``costs``        API tokens vs rented GPUs; one workload served three ways
- ``money``        USD to 만원 and amounts printed the way a reader says them
- ``paradigm``     the source documents' comparison tables, restated
- ``roi_inputs``   the ROI template's cost and assumption tables and a project, checked
- ``roi``          the ROI model: cost, expected performance, value, payback, repriced cost lines
- ``roi_sensitivity``  which inputs move the verdict, and the performance at which it flips
- ``roi_report``   the comparison as text, table, CSV/Excel, and ``ragfirst roi``
- ``checklists``   the seed's two checklists
- ``decide``       the seed's decision flowchart, its gate and scenarios; ``ragfirst decide``
- ``*_charts``     the notebooks' charts
"""
