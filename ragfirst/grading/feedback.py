"""Feedback returned to students: which visible and hidden tests passed, never hidden test code.

Messages shown come only from the visible part of the tests (phase A); hidden
tests appear as passed / not passed. Everything is HTML-escaped: a student's
error message cannot inject markup into the page.
"""

from __future__ import annotations

import html
from pathlib import Path

from ragfirst.grading.master import Master
from ragfirst.grading.result import SubmissionResult

STATUS_TEXT = {
    "graded": "모든 셀이 실행되었고 테스트로 채점했습니다.",
    "timeout": "시간 제한을 넘긴 셀이 있어 중단했습니다. 나머지는 채점했습니다.",
    "kernel_died": "노트북 실행 중 커널이 멈췄습니다(강제 종료, 메모리 초과 등). 그 뒤의 테스트는 0점입니다.",
    "output_limit": "출력이 너무 많은 셀이 있어 중단했습니다.",
    "invalid_notebook": "제출 파일을 노트북으로 읽을 수 없어 채점하지 못했습니다.",
    "missing": "제출된 노트북을 찾지 못했습니다.",
    "sandbox_error": "채점 환경 문제로 채점하지 못했습니다. 강사에게 알려 주세요.",
    "grader_error": "채점기 오류로 채점하지 못했습니다. 강사에게 알려 주세요.",
}
VISIBLE_TEXT = {
    "passed": "통과", "failed": "실패", "error": "오류", "timeout": "시간 초과",
    "kernel_died": "커널 중단", "not_run": "실행 안 됨",
}

STYLE = """body{font-family:'Noto Sans KR','Malgun Gothic',sans-serif;max-width:900px;margin:2em auto;line-height:1.5}
table{border-collapse:collapse;width:100%}td,th{border:1px solid #ccc;padding:.4em;text-align:left;vertical-align:top}
.ok{color:#1b5e20}.no{color:#b71c1c}.muted{color:#666}code{white-space:pre-wrap}"""


def _mark(passed: bool | None) -> str:
    if passed is None:
        return '<span class="muted">없음</span>'
    return '<span class="ok">통과</span>' if passed else '<span class="no">통과하지 못함</span>'


def render(master: Master, result: SubmissionResult) -> str:
    e = html.escape
    rows = []
    for test in result.tests:
        css = "ok" if test.visible_status == "passed" else "no"
        message = f"<code>{e(test.visible_message)}</code>" if test.visible_message else ""
        rows.append(
            f"<tr><td>{e(test.grade_id)}</td><td>{test.points:g} / {test.max_points:g}</td>"
            f'<td><span class="{css}">{e(VISIBLE_TEXT.get(test.visible_status, test.visible_status))}</span></td>'
            f"<td>{_mark(test.hidden_passed)}</td><td>{message}</td></tr>"
        )
    manual = "".join(f"<li>{e(cell.grade_id)}: {cell.points:g}점 (루브릭으로 채점 예정)</li>" for cell in master.manual)
    notes = "".join(f"<li>{e(note)}</li>" for note in result.notes)
    table = (
        "<table><tr><th>문항</th><th>점수</th><th>공개 테스트</th><th>숨은 테스트</th><th>공개 테스트 메시지</th></tr>"
        + "".join(rows) + "</table>"
    ) if rows else "<p>실행된 테스트가 없습니다.</p>"
    return f"""<!DOCTYPE html>
<html lang="ko"><head><meta charset="utf-8"><title>{e(master.name)} 피드백 - {e(result.student_id)}</title>
<style>{STYLE}</style></head><body>
<h1>과제 피드백: {e(master.name)}</h1>
<p>학생: <b>{e(result.student_id)}</b></p>
<p>자동 채점 점수: <b>{result.total:g} / {master.auto_max:g}</b> (수기 채점 {master.manual_max:g}점은 별도)</p>
<p>상태: {e(STATUS_TEXT.get(result.status, result.status))}</p>
<h2>자동 채점 문항</h2>
{table}
<p class="muted">공개 테스트는 노트북에 보이는 테스트이고, 숨은 테스트는 다른 입력으로 같은 내용을 확인합니다.
숨은 테스트의 코드와 입력은 공개하지 않습니다. 점수는 공개와 숨은 테스트를 모두 통과해야 받습니다.</p>
<h2>수기 채점 문항</h2><ul>{manual or '<li>없음</li>'}</ul>
<h2>채점 메모</h2><ul>{notes or '<li>없음</li>'}</ul>
</body></html>
"""


def _file_name(student_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_.@#" else "_" for c in student_id) + ".html"


def write_feedback(folder: Path, master: Master, results: list[SubmissionResult]) -> list[Path]:
    """One HTML page per student in ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for result in results:
        path = folder / _file_name(result.student_id)
        path.write_text(render(master, result), encoding="utf-8")
        written.append(path)
    return written


def write_manual_answers(folder: Path, master: Master, results: list[SubmissionResult]) -> list[Path]:
    """One Markdown file per manually graded question with every student's answer, for the rubric."""
    folder = Path(folder)
    written = []
    for cell in master.manual:
        folder.mkdir(parents=True, exist_ok=True)
        parts = [f"# {cell.grade_id} ({cell.points:g}점) - 학생 답안 모음\n"]
        for result in sorted(results, key=lambda r: r.student_id):
            answer = result.answers.get(cell.grade_id, "").strip() or "(답 없음)"
            parts.append(f"\n## {result.student_id}\n\n{answer}\n")
        path = folder / f"{cell.grade_id}.md"
        path.write_text("".join(parts), encoding="utf-8")
        written.append(path)
    return written
