"""Charts for the LoRA notebook: every bar is a number measured in the notebook."""

from __future__ import annotations

from typing import Mapping, Sequence

FULL_COLOR, LORA_COLOR, NEUTRAL = "#e57373", "#4f8fcf", "#9e9e9e"


def _label_bars(ax, bars, fmt: str) -> None:
    for bar in bars:
        ax.annotate(fmt.format(bar.get_height()), (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                    ha="center", va="bottom", fontsize=9)


def plot_step_costs(full, lora, expected_full_mb: float, expected_lora_mb: float):
    """Peak memory (measured vs weights+gradients+Adam estimate) and seconds per step, full vs LoRA."""
    import matplotlib.pyplot as plt

    fig, (mem, speed) = plt.subplots(1, 2, figsize=(10, 3.8))
    x = [0, 1]
    bars = mem.bar([i - 0.2 for i in x], [full.peak_rss_mb, lora.peak_rss_mb], 0.4,
                   color=[FULL_COLOR, LORA_COLOR], label="측정: 프로세스 최대 RSS")
    _label_bars(mem, bars, "{:,.0f}")
    est = mem.bar([i + 0.2 for i in x], [expected_full_mb, expected_lora_mb], 0.4, color=NEUTRAL,
                  label="추정: 가중치+기울기+Adam (fp32)")
    _label_bars(mem, est, "{:,.0f}")
    mem.set_xticks(x, ["전체 파인튜닝", "LoRA"])
    mem.set_ylabel("MB")
    mem.set_title(f"학습 스텝의 최대 메모리 (배치 {full.batch_size} × {full.seq_len} 토큰)")
    mem.legend(fontsize=8, loc="upper right")
    bars = speed.bar(x, [full.seconds_per_step, lora.seconds_per_step], 0.5, color=[FULL_COLOR, LORA_COLOR])
    _label_bars(speed, bars, "{:.2f} s")
    speed.set_xticks(x, ["전체 파인튜닝", "LoRA"])
    speed.set_ylabel("초 / 스텝")
    speed.set_title("학습 스텝 1회 시간 (중앙값)")
    fig.tight_layout()
    return fig


def plot_params_and_sizes(trainable: int, total: int, adapter_mb: float, base_mb: float):
    """Trainable vs all parameters, and adapter vs base model size on disk (log scales)."""
    import matplotlib.pyplot as plt

    fig, (params, sizes) = plt.subplots(1, 2, figsize=(10, 3.8))
    bars = params.bar(["전체 파라미터", "LoRA 학습 파라미터"], [total, trainable], color=[FULL_COLOR, LORA_COLOR])
    _label_bars(params, bars, "{:,.0f}")
    params.set_yscale("log")
    params.set_title(f"학습하는 파라미터: {100 * trainable / total:.3f} %")
    bars = sizes.bar(["기본 모델 (fp32)", "LoRA 어댑터"], [base_mb, adapter_mb], color=[FULL_COLOR, LORA_COLOR])
    _label_bars(sizes, bars, "{:,.2f} MB")
    sizes.set_yscale("log")
    sizes.set_title(f"디스크 크기: 어댑터는 {base_mb / adapter_mb:,.0f}분의 1")
    fig.tight_layout()
    return fig


def plot_quality(scores: Mapping[str, float], n_heldout: int, chance: float):
    """Held-out accuracy per method, with the chance level as a line."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3.8))
    colors = [NEUTRAL, LORA_COLOR, "#66bb6a"][: len(scores)]
    bars = ax.bar(list(scores), [100 * v for v in scores.values()], color=colors)
    _label_bars(ax, bars, "{:.1f} %")
    ax.axhline(100 * chance, color="black", linestyle=":", linewidth=1)
    ax.annotate(f"무작위 ({100 * chance:.1f} %)", (len(scores) - 0.5, 100 * chance), fontsize=8, va="bottom", ha="right")
    ax.set_ylim(0, 100)
    ax.set_ylabel("정확도 (%)")
    ax.set_title(f"보류(held-out) 문의 {n_heldout}개의 분류 정확도")
    fig.tight_layout()
    return fig


def plot_losses(losses: Sequence[float]):
    """Training loss per step."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 3))
    ax.plot(range(1, len(losses) + 1), losses, marker="o", markersize=3, color=LORA_COLOR)
    ax.set_xlabel("스텝")
    ax.set_ylabel("손실 (교차 엔트로피)")
    ax.set_title("LoRA 학습 손실")
    fig.tight_layout()
    return fig
