"""Charts for notebook 01. The numbers come from ``ragfirst.economics.paradigm``; this module only draws them."""

from __future__ import annotations

from ragfirst.economics.hardware import gpu_memory_lines
from ragfirst.economics.money import format_krw
from ragfirst.runtime.sourced import SourcedTable

KIND_COLORS = {"API 한 달": "#29b6f6", "GPU 하루": "#ef5350"}
LINE_STYLES = (":", "--", "-.", (0, (5, 1)))


def plot_cost_comparison(costs, ax=None):
    """Horizontal bars of ``costs.cost_comparison`` in 만원 on a linear axis.

    Linear on purpose: bar lengths must keep the real ratios (a day of GPUs is
    tens of times a month of API); a log axis would shrink that gap to a step.
    """
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(9, 4))[1]
    labels = list(costs.index)[::-1]
    manwon = list(costs["만원"])[::-1]
    colors = [KIND_COLORS[k] for k in list(costs["구분"])[::-1]]
    ax.barh(labels, manwon, color=colors)
    for y, amount in enumerate(manwon):
        ax.annotate(format_krw(amount), (amount, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_xlim(0, max(manwon) * 1.25)  # room for the labels
    ax.set_xlabel("만원 (선형 눈금: 막대 길이의 비율이 곧 비용의 비율)")
    ax.set_title("FAQ 봇 API 한 달 vs GPU 8장 하루 임대")
    return ax


def plot_memory_vs_gpus(memory, facts: SourcedTable, ax=None):
    """Grouped bars of ``hardware.memory_table`` (GB, log scale) with one line per GPU memory size.

    Log scale because the question is "which threshold does each bar cross" over
    3.5 GB to 2,800 GB, not how two bars compare; the lines carry the reading.
    """
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib.ticker import FuncFormatter

    ax = ax or plt.subplots(figsize=(10, 4.5))[1]
    x = np.arange(len(memory.index))
    width = 0.8 / len(memory.columns)
    for i, column in enumerate(memory.columns):
        ax.bar(x + (i - (len(memory.columns) - 1) / 2) * width, memory[column], width, label=column)
    for (label, gb), style in zip(gpu_memory_lines(facts).items(), LINE_STYLES):
        ax.axhline(gb, color="black", linestyle=style, linewidth=1, label=f"{label} 1장")
    values = memory.to_numpy()
    ax.set_yscale("log")
    ax.set_ylim(1, float(values.max()) * 2)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda gb, _: f"{gb:,.0f}"))  # 1,000 rather than 10^3
    ax.set_xticks(x, memory.index)
    ax.set_ylabel("필요 메모리 GB (하한, 로그 눈금)")
    ax.set_title("모델 크기별 필요한 GPU 메모리")
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    return ax
