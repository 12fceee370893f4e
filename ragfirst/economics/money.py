"""Money as the course prints it: USD to 만원 at the dated exchange rate, amounts the way a reader says them.

"약 67억 원 (약 480만 USD)": Korean groups digits by 10^4 (만, 억, 조), so the
formatting picks the largest unit an amount reaches.
"""

from __future__ import annotations

import math

from ragfirst.runtime.sourced import SourcedTable, value

WON_PER_MANWON = 10_000


def usd_to_manwon(usd: float, prices: SourcedTable) -> float:
    """USD to 만원 (10,000 KRW) at ``fx.usd_krw``."""
    return usd * value(prices, "fx.usd_krw") / WON_PER_MANWON


# Korean groups digits by 10^4: 만, 억 (10^8), 조 (10^12).
KOREAN_UNITS = ((1e12, "조"), (1e8, "억"), (1e4, "만"))


def _check_amount(amount: float) -> float:
    if isinstance(amount, bool) or not isinstance(amount, (int, float)) or not math.isfinite(amount) or amount < 0:
        raise ValueError(f"amount={amount!r}: 0 이상의 유한한 숫자가 필요합니다.")
    return amount


def _korean_amount(amount: float) -> str:
    """``amount`` in the largest Korean unit it reaches: 6,719,570,000 → "67억", 17,010 → "1.7만"."""
    _check_amount(amount)
    for size, unit in KOREAN_UNITS:
        if round(amount / size, 1) >= 1:
            scaled = amount / size
            # Under 10 one decimal keeps the figure honest (1.7만); above it a decimal is noise.
            text = f"{scaled:,.1f}".removesuffix(".0") if scaled < 10 else f"{round(scaled):,}"
            return f"{text}{unit}"
    return f"{round(amount):,}"


def format_krw(manwon: float) -> str:
    """만원 as a reader says it: 671,957만원 → "약 67억 원", 1.7만원 → "약 1.7만 원", 0.85만원 → "약 8,500원"."""
    text = _korean_amount(manwon * WON_PER_MANWON)
    return f"약 {text} 원" if text[-1] in "만억조" else f"약 {text}원"


def format_usd(usd: float) -> str:
    """USD with Korean digit groups: 4,799,693 → "약 480만 USD", 526.98 → "약 527 USD"; under 100 exact: "8.10 USD"."""
    if _check_amount(usd) < 100:
        return f"{usd:,.2f} USD"
    return f"약 {_korean_amount(usd)} USD"


SUPERSCRIPTS = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")


def format_power_of_ten(number: float) -> str:
    """Astronomical quantities (FLOP) the way a textbook prints them: 8.4e23 → "8.4 × 10²³"."""
    mantissa, exponent = f"{_check_amount(number):.1e}".split("e")
    return f"{mantissa} × 10{str(int(exponent)).translate(SUPERSCRIPTS)}"


def format_cost(usd: float, prices: SourcedTable) -> str:
    """A USD amount in won first and dollars second: "약 67억 원 (약 480만 USD)"."""
    return f"{format_krw(usd_to_manwon(usd, prices))} ({format_usd(usd)})"
