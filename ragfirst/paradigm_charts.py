"""Charts for notebook 01. The numbers come from ``ragfirst.paradigm``; this module only draws them."""

from __future__ import annotations

from ragfirst.paradigm import GPUS
from ragfirst.sourced import SourcedTable, value

KIND_COLORS = {"API 한 달": "#29b6f6", "GPU 하루": "#ef5350"}


def plot_cost_comparison(costs, ax=None):
    """Horizontal bars of ``paradigm.cost_comparison`` in 만원, log scale so both ends stay readable."""
    import matplotlib.pyplot as plt

    ax = ax or plt.subplots(figsize=(9, 4))[1]
    labels = list(costs.index)[::-1]
    manwon = list(costs["만원"])[::-1]
    colors = [KIND_COLORS[k] for k in list(costs["구분"])[::-1]]
    ax.barh(labels, manwon, color=colors)
    for y, amount in enumerate(manwon):
        ax.annotate(f"{amount:,.1f}만원", (amount, y), xytext=(4, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_xlabel("만원 (로그 눈금)")
    ax.set_title("FAQ 봇 API 한 달 vs GPU 8장 하루 임대")
    ax.set_xlim(right=max(manwon) * 8)
    return ax


def plot_memory_vs_gpus(memory, facts: SourcedTable, ax=None):
    """Grouped bars of ``paradigm.memory_table`` (GB, log scale) with each GPU's memory as a line."""
    import matplotlib.pyplot as plt
    import numpy as np

    ax = ax or plt.subplots(figsize=(10, 4.5))[1]
    x = np.arange(len(memory.index))
    width = 0.8 / len(memory.columns)
    for i, column in enumerate(memory.columns):
        ax.bar(x + (i - (len(memory.columns) - 1) / 2) * width, memory[column], width, label=column)
    for key, style in (("rtx4090", ":"), ("a100_40gb", "--"), ("a100_80gb", "-.")):
        gb = value(facts, f"gpu.{key}.memory_gb")
        ax.axhline(gb, color="black", linestyle=style, linewidth=1, label=f"{GPUS[key]} 1장")
    ax.set_yscale("log")
    ax.set_ylim(top=float(memory.to_numpy().max()) * 30)  # room for the legend
    ax.set_xticks(x, memory.index)
    ax.set_ylabel("필요 메모리 GB (하한, 로그 눈금)")
    ax.set_title("모델 크기별 필요한 GPU 메모리")
    ax.legend(fontsize=8, ncol=4, loc="upper left")
    return ax
