"""The ROI comparison for people: a terminal table, a notebook table, CSV/Excel export and ``ragfirst roi``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Mapping

from ragfirst.economics.roi import calculate_ai_approach_roi, compare_approaches, recommend
from ragfirst.economics.roi_inputs import (
    APPROACH_LABELS,
    Costs,
    ProjectError,
    load_costs,
    load_project,
    validate_project,
    with_cost_overrides,
)


def format_comparison(results: list[dict[str, Any]]) -> str:
    """A plain-text comparison table for the terminal, with the recommendation."""
    header = f"{'approach':<20}{'annual_cost':>12}{'3y_cost':>10}{'perf%':>7}{'value/yr':>10}{'ROI%':>9}{'payback':>9}  feasible"
    lines = ["(금액: 만원, value/yr: 연간 비즈니스 가치, payback: 손익분기 개월)", header]
    for r in results:
        payback = "-" if r["payback_month"] is None else f"{r['payback_month']}m"
        feasible = "yes" if r["meets_requirement"] and r["within_budget"] else (
            "no: " + ", ".join(w for w, ok in (("performance", r["meets_requirement"]), ("budget", r["within_budget"])) if not ok))
        lines.append(f"{r['approach']:<20}{r['annual_cost']:>12,.0f}{r['total_cost_3y']:>10,.0f}"
                     f"{r['expected_performance']:>7.1f}{r['business_value']:>10,.0f}{r['roi_percentage']:>9.1f}{payback:>9}  {feasible}")
    best = recommend(results)
    lines.append(f"추천: {best['approach']} ({APPROACH_LABELS[best['approach']]}, ROI {best['roi_percentage']:.1f}%)"
                 if best else "추천: 요구 성능과 예산을 함께 만족하는 접근법이 없습니다 (요구사항이나 예산을 재검토하세요)")
    return "\n".join(lines)


def comparison_table(results: list[dict[str, Any]]):
    """The results as a pandas DataFrame with Korean column names, rounded for reading."""
    import pandas as pd

    frame = pd.DataFrame(results)
    frame.insert(1, "label", frame["approach"].map(APPROACH_LABELS))
    frame = frame.rename(columns={
        "approach": "접근법", "label": "이름", "annual_cost": "연간 비용(만원)", "expected_performance": "기대 성능(%)",
        "business_value": "연간 가치(만원)", "roi_percentage": "ROI(%)", "initial_cost": "초기 비용(만원)",
        "total_cost_3y": "3년 총비용(만원)", "payback_month": "손익분기(개월)", "meets_requirement": "요구 성능 충족",
        "within_budget": "예산 내",
    })
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
