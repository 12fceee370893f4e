"""The ROI comparison for people: a terminal table, a notebook table, CSV/Excel export and ``ragfirst roi``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

from ragfirst.economics.roi import calculate_ai_approach_roi, compare_approaches, recommend
from ragfirst.economics.roi_inputs import (
    APPROACH_LABELS,
    COST_ITEM_LABELS,
    Costs,
    ProjectError,
    load_costs,
    load_project,
    validate_project,
    with_cost_overrides,
)
from ragfirst.economics.roi_sensitivity import performance_sweep


def format_comparison(results: list[dict[str, Any]]) -> str:
    """A plain-text comparison table for the terminal, in Korean, with the recommendation."""
    widths = (16, 11, 11, 7, 11, 9, 9)
    header = ("접근법", "연간 비용", "3년 비용", "성능%", "연간 가치", "ROI%", "손익분기")
    lines = ["(금액: 만원, 성능: 기대 성능, 손익분기: 개월)", _columns(header, widths) + "  판정"]
    for r in results:
        payback = "-" if r["payback_month"] is None else f"{r['payback_month']}개월"
        problems = [w for w, ok in (("요구 성능 미달", r["meets_requirement"]), ("예산 초과", r["within_budget"])) if not ok]
        cells = (APPROACH_LABELS[r["approach"]], f"{r['annual_cost']:,.0f}", f"{r['total_cost_3y']:,.0f}",
                 f"{r['expected_performance']:.1f}", f"{r['business_value']:,.0f}", f"{r['roi_percentage']:.1f}", payback)
        lines.append(_columns(cells, widths) + "  " + ("가능" if not problems else "불가: " + ", ".join(problems)))
    best = recommend(results)
    lines.append(f"추천: {APPROACH_LABELS[best['approach']]} (ROI {best['roi_percentage']:.1f}%)"
                 if best else "추천: 요구 성능과 예산을 함께 만족하는 접근법이 없습니다 (요구사항이나 예산을 재검토하세요)")
    return "\n".join(lines)


def _columns(cells: tuple[str, ...], widths: tuple[int, ...]) -> str:
    """The first cell left-aligned, the rest right-aligned, counting a Hangul syllable as two terminal columns."""
    def width(text: str) -> int:
        return sum(2 if "\uac00" <= ch <= "\ud7a3" else 1 for ch in text)

    first, *rest = cells
    line = first + " " * max(1, widths[0] - width(first))
    return line + "".join(" " * max(1, w - width(cell)) + cell for cell, w in zip(rest, widths[1:]))


def verdict_table(approach: str, project_requirements: Mapping[str, Any], points: Mapping[str, float],
                  costs: Costs | None = None):
    """One row per labelled expected performance (%) of ``approach``, the rest of the project unchanged:
    its ROI, whether it meets the requirement, and what the template then recommends."""
    import pandas as pd

    rows = performance_sweep(approach, project_requirements, list(points.values()), costs)
    return pd.DataFrame([{"근거": label, "기대 성능(%)": row["performance"], "ROI(%)": round(row["roi_percentage"], 1),
                          "요구 성능 충족": row["meets_requirement"],
                          "추천": APPROACH_LABELS[row["recommended"]] if row["recommended"] else "없음"}
                         for label, row in zip(points, rows)]).set_index("근거")


PERIOD_LABELS = {"one-off": "한 번", "monthly": "매월", "every 6 months": "6개월마다"}


def cost_table(costs: Costs | None = None):
    """The seed's cost table as read by the course, in Korean: approach, item, 만원, period and the reading's note."""
    import pandas as pd

    table = load_costs() if costs is None else costs
    rows = [(APPROACH_LABELS[approach], COST_ITEM_LABELS.get(item.item, item.item), item.value, PERIOD_LABELS[item.period],
             item.note) for approach, items in table.items() for item in items]
    return pd.DataFrame(rows, columns=["접근법", "항목", "금액(만원)", "기간", "메모"])


def comparison_table(results: list[dict[str, Any]]):
    """The results as a pandas DataFrame with Korean column names, rounded for reading."""
    import pandas as pd

    frame = pd.DataFrame(results)
    frame.insert(1, "label", frame["approach"].map(APPROACH_LABELS))
    frame = frame.rename(columns={
        "approach": "접근법", "label": "이름", "annual_cost": "연간 비용(만원)", "expected_performance": "기대 성능(%)",
        "business_value": "연간 가치(만원)", "roi_percentage": "ROI(%)", "initial_cost": "초기 비용(만원)",
        "total_cost_3y": "3년 총비용(만원)", "payback_month": "손익분기(개월)", "meets_requirement": "요구 성능 충족",
        "within_budget": "예산 내", "performance_basis": "성능 근거",
    })
    frame["성능 근거"] = frame["성능 근거"].map({"measured": "측정", "assumed": "가정"})
    frame["손익분기(개월)"] = frame["손익분기(개월)"].astype("Int64")
    return frame.round(1)


def cost_table_rows(project_requirements: Mapping[str, Any], costs: Costs | None = None) -> list[dict[str, Any]]:
    """The cost table as used for this project: overrides applied, changed rows say so and keep the seed's value."""
    project = validate_project(project_requirements)
    base = load_costs() if costs is None else costs
    used = with_cost_overrides(base, project.cost_overrides)
    rows = []
    for approach, items in used.items():
        originals = {item.item: item for item in base[approach]}
        for item in items:
            row = {"approach": item.approach, "item": item.item, "value": item.value, "period": item.period,
                   "source": item.source, "note": item.note, "seed_value": originals[item.item].value}
            if item.value != originals[item.item].value:
                row["source"] = "프로젝트 cost_overrides"
                row["note"] = f"원문 값 {originals[item.item].value:g}만원을 프로젝트 파일에서 바꿈"
            rows.append(row)
    return rows


def export_comparison(results: list[dict[str, Any]], project_requirements: Mapping[str, Any],
                      directory: str | Path | None = None, stem: str = "roi_comparison") -> tuple[Path, Path]:
    """Write the comparison to CSV (UTF-8 with BOM, opens in Excel) and to an .xlsx with the inputs.

    The "비용표" sheet is the cost table the results were computed with: the
    project's ``cost_overrides`` applied, each changed row marked with the seed's value.
    Files go to ``cache_dir()/roi`` unless ``directory`` is given, never into the repo.
    Both are written to temporary names first so a failure leaves nothing half-written.
    """
    import pandas as pd

    from ragfirst.runtime.config import cache_dir

    cost_rows = cost_table_rows(project_requirements)
    for result in results:  # the cost sheet must be the table these results came from
        expected = calculate_ai_approach_roi(result["approach"], project_requirements)["annual_cost"]
        if not math.isclose(result["annual_cost"], expected, abs_tol=1e-6):
            raise ProjectError(f"results[{result['approach']}]: annual_cost {result['annual_cost']:g}만원이 project_requirements로 "
                               f"계산한 {expected:g}만원과 다릅니다. 같은 프로젝트(cost_overrides 포함)로 계산한 결과를 넘겨 주세요.")
    folder = Path(directory) if directory is not None else cache_dir() / "roi"
    folder.mkdir(parents=True, exist_ok=True)
    table = comparison_table(results)
    inputs = pd.DataFrame(
        [(k, json.dumps(v, ensure_ascii=False) if isinstance(v, (dict, list)) else v) for k, v in project_requirements.items()],
        columns=["field", "value"],
    )
    csv_path, xlsx_path = folder / f"{stem}.csv", folder / f"{stem}.xlsx"
    tmp_csv, tmp_xlsx = folder / f".{stem}.csv.tmp", folder / f".{stem}.xlsx.tmp"
    try:
        table.to_csv(tmp_csv, index=False, encoding="utf-8-sig")
        with pd.ExcelWriter(tmp_xlsx, engine="openpyxl") as writer:
            table.to_excel(writer, sheet_name="비교", index=False)
            inputs.to_excel(writer, sheet_name="입력", index=False)
            pd.DataFrame(cost_rows).to_excel(writer, sheet_name="비용표", index=False)
        tmp_csv.replace(csv_path)
        tmp_xlsx.replace(xlsx_path)
    finally:
        tmp_csv.unlink(missing_ok=True)
        tmp_xlsx.unlink(missing_ok=True)
    return csv_path, xlsx_path


def run_cli(args) -> int:
    """``ragfirst roi PROJECT.yaml [--json]``."""
    project = load_project(args.project)
    results = compare_approaches(project)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    else:
        print(format_comparison(results))
    return 0
