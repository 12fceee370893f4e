"""Per-student variants of a graded numeric case, derived from the student id.

Why: two students who share one notebook should not hand in the same numbers. A
variant is a pure function of the id, so the hidden tests recompute it in the
grader from the submission's id (the file or folder name) and never trust the
id the notebook claims.
"""

from __future__ import annotations

import hashlib
from typing import Any

from ragfirst.economics.roi_inputs import APPROACHES
from ragfirst.grading.submissions import student_id_from_name

DOMAINS = ("customer_service", "it_helpdesk", "hr_helpdesk", "insurance_claims", "travel_booking")


def cost_variant(student_id: str) -> dict[str, Any]:
    """The cost_analysis case of one student: a company with its own volume, prices, budget and current approach."""
    if not isinstance(student_id, str) or not student_id.strip():
        raise ValueError("STUDENT_ID: 제출 파일 이름과 같은 학번을 문자열로 적으세요. 예: STUDENT_ID = \"kim_minsu\"")
    sid = student_id_from_name(student_id.strip())
    digest = hashlib.sha256(f"cost_analysis:{sid}".encode("utf-8")).digest()

    def pick(byte: int, options: tuple) -> Any:
        return options[digest[byte] % len(options)]

    return {
        "company": f"변형 사례 ({sid})",
        "current_approach": pick(0, APPROACHES),
        "project": {
            "domain": pick(1, DOMAINS),
            "complexity": pick(2, ("low", "medium", "high")),
            "data_available": 1_000 * (1 + digest[3] % 20),
            "performance_requirement": pick(4, (70, 75, 80, 85)),
            "budget": pick(5, (300, 500, 1_000, 2_000, 3_000)),
            "monthly_volume": 200 * (1 + digest[6] % 15),
            "cost_per_manual_handling": pick(7, (0.2, 0.3, 0.4, 0.5, 0.8)),
            "needs_external_knowledge": digest[8] % 2 == 0,
            "needs_realtime_tools": digest[9] % 3 == 0,
        },
    }
