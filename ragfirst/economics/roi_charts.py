"""Charts and controls for the ROI notebook: annual cost, break-even, tornado, widgets.

Computation lives in ``ragfirst.economics.roi``; this module only draws what it returns.
"""

from __future__ import annotations

from typing import Any, Mapping

from ragfirst.economics import roi, roi_inputs, roi_report, roi_sensitivity

COLORS = {
    "prompt_engineering": "#66bb6a",
    "rag_system": "#29b6f6",
    "tool_use": "#ffa726",
    "finetuning": "#ef5350",
}
MARKERS = {"prompt_engineering": "o", "rag_system": "s", "tool_use": "^", "finetuning": "D"}
COST_COLOR, VALUE_COLOR = "#546e7a", "#bdbdbd"


def plot_annual_cost(results: list[dict[str, Any]], ax=None):
    """Bar chart of first-year cost by approach, next to the value each one brings."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(8, 4))[1]
    labels = [roi_inputs.APPROACH_LABELS[r["approach"]] for r in results]
    x = range(len(results))
    ax.bar([i - 0.2 for i in x], [r["annual_cost"] for r in results], width=0.4, color=COST_COLOR, label="연간 비용")
    ax.bar([i + 0.2 for i in x], [r["business_value"] for r in results], width=0.4, color=VALUE_COLOR, label="연간 가치")
    for i, r in enumerate(results):
        ax.annotate(f"{r['annual_cost']:,.0f}", (i - 0.2, r["annual_cost"]), ha="center", va="bottom", fontsize=9)
    ax.set_xticks(list(x), labels)
    ax.set_ylabel("만원 (첫 12개월)")
    ax.set_title("접근법별 연간 비용과 연간 가치")
    ax.legend()
    return ax


def plot_break_even(project: Mapping[str, Any], months: int = roi_inputs.HORIZON_MONTHS, axes=None):
    """Left: cumulative cost per approach. Right: cumulative value minus cost, payback month marked and labelled.

    The numbers come from ``roi.break_even``. Paybacks in the same month get
    labels at different heights so that each one stays readable.
    """
    import matplotlib.pyplot as plt

    if axes is None:
        axes = plt.subplots(1, 2, figsize=(12, 4.5))[1]
    left, right = axes
    series = roi.break_even(project, months)
    same_month: dict[int, int] = {}
    for row in series:
        label = roi_inputs.APPROACH_LABELS[row.approach]
        style = {"color": COLORS[row.approach], "marker": MARKERS[row.approach], "markevery": [], "label": label}
        left.plot(row.months, row.cumulative_cost, **style)
        right.plot(row.months, row.net, **style)
        if row.payback_month is not None:
            m = row.payback_month
            rank = same_month.get(m, 0)
            same_month[m] = rank + 1
            # same month: each later marker is smaller so the earlier one stays visible around it
            right.plot([m], [row.net[m - 1]], linestyle="none", marker=MARKERS[row.approach], markersize=12 - 4 * min(rank, 2),
                       markerfacecolor=COLORS[row.approach], markeredgecolor="black", zorder=3 + rank)
            right.annotate(f"{label}: {m}개월", (m, row.net[m - 1]), xytext=(30, 18 + 22 * rank), textcoords="offset points",
                           fontsize=9, color="black", zorder=5,
                           bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": COLORS[row.approach]},
                           arrowprops={"arrowstyle": "-", "color": COLORS[row.approach]})
    left.set(title=f"누적 비용 ({months}개월)", xlabel="개월", ylabel="만원")
    right.axhline(0, color="black", linewidth=0.8)
    right.set(title="누적 순이익 (가치 - 비용), 표시: 손익분기 달", xlabel="개월", ylabel="만원")
    left.legend()
    right.legend(loc="lower left")
    return axes


def plot_tornado(rows: list[roi_sensitivity.Sensitivity], base_roi: float, title: str = "", ax=None):
    """Tornado chart: each bar spans the ROI when one input moves down (-) and up (+)."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(9, 0.5 * len(rows) + 1.5))[1]
    ordered = list(reversed(rows))  # widest bar on top
    for i, row in enumerate(ordered):
        ax.barh(i, row.roi_low - base_roi, left=base_roi, color="#ef9a9a", label="입력을 낮춤 (-)" if i == 0 else None)
        ax.barh(i, row.roi_high - base_roi, left=base_roi, color="#90caf9", label="입력을 높임 (+)" if i == 0 else None)
        for roi_value, text in ((row.roi_low, row.low_label), (row.roi_high, row.high_label)):
            right = roi_value >= base_roi
            ax.annotate(text, (roi_value, i), xytext=(4 if right else -4, 0), textcoords="offset points",
                        ha="left" if right else "right", va="center", fontsize=8)
    ax.axvline(base_roi, color="black", linewidth=0.8)
    ax.set_yticks(range(len(ordered)), [row.parameter for row in ordered])
    ax.margins(x=0.15)  # room for the labels at both ends of the bars
    ax.set_xlabel("ROI (%)")
    ax.set_title(title or f"민감도: 기준 ROI {base_roi:.1f}%")
    ax.legend(loc="lower right")
    return ax


def sensitivity_table(rows: list[roi_sensitivity.Sensitivity]):
    """The tornado's numbers as a DataFrame, rounded."""
    import pandas as pd

    return pd.DataFrame([(r.parameter, r.low_label, round(r.roi_low, 1), r.high_label, round(r.roi_high, 1), round(r.swing, 1))
                         for r in rows], columns=["입력", "낮춤 (-)", "ROI(-) %", "높임 (+)", "ROI(+) %", "ROI 폭 (%p)"])


def show_comparison(project: Mapping[str, Any]) -> None:
    """Table + annual-cost chart + recommendation for one project: what the widget redraws."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    results = roi.compare_approaches(project)
    display(roi_report.comparison_table(results)[["이름", "연간 비용(만원)", "기대 성능(%)", "연간 가치(만원)", "ROI(%)",
                                         "손익분기(개월)", "요구 성능 충족", "예산 내"]])
    plot_annual_cost(results)
    plt.show()
    best = roi.recommend(results)
    print(f"추천: {roi_inputs.APPROACH_LABELS[best['approach']]} (ROI {best['roi_percentage']:.1f}%)" if best
          else "추천: 요구 성능과 예산을 함께 만족하는 접근법이 없습니다.")


def roi_explorer(project: Mapping[str, Any]):
    """ipywidgets controls over the project's main inputs, and the function they call.

    Returns ``(controls, update)``. Display ``controls`` for interactive use; call
    ``update()`` once so the default view is part of the cell output when the
    notebook runs headless (widget output is not stored in cell outputs).
    """
    import ipywidgets as widgets

    controls = {
        "complexity": widgets.Dropdown(options=list(roi_inputs.COMPLEXITIES), value=project["complexity"], description="복잡도"),
        "data_available": widgets.IntSlider(value=int(project["data_available"]), min=0, max=20000, step=500, description="데이터(건)"),
        "performance_requirement": widgets.IntSlider(value=int(project["performance_requirement"]), min=50, max=99, description="요구 성능%"),
        "budget": widgets.IntSlider(value=int(project["budget"]), min=0, max=5000, step=100, description="예산(만원)"),
        "monthly_volume": widgets.IntSlider(value=int(roi_inputs.validate_project(project).monthly_volume), min=100, max=5000, step=100,
                                            description="월 건수"),
    }

    def update(**changes: Any) -> None:
        show_comparison({**project, **changes})

    output = widgets.interactive_output(update, controls)
    return widgets.VBox([widgets.HBox(list(controls.values())[:3]), widgets.HBox(list(controls.values())[3:]), output]), update
