"""Tables of numbers that carry their source and date, and the one reader they all share.

``data/prices.csv``, ``data/compute.csv`` and ``data/rag/answer_quality.csv`` load here; the ROI tables
(``data/roi/``), the LoRA records (``data/lora/``) and ``data/approaches.csv``
read their rows through :func:`sourced_rows`. Every figure a notebook shows
comes from one of these files or is computed from them, so the reader refuses
rows without a source, a valid date or a required value: a wrong price should
stop the lesson, not quietly change a chart.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from ragfirst.runtime.config import DATA_DIR

PRICES_CSV = DATA_DIR / "prices.csv"
COMPUTE_CSV = DATA_DIR / "compute.csv"
ANSWER_QUALITY_CSV = DATA_DIR / "rag" / "answer_quality.csv"
PRICE_COLUMNS = ("item", "value", "unit", "currency", "source", "date", "note")
FACT_COLUMNS = ("item", "value", "unit", "source", "date", "note")
CURRENCIES = ("USD", "KRW")
# Columns that may be empty; every other column needs text.
OPTIONAL_COLUMNS = ("note",)
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


class DataFileError(ValueError):
    """A data file is malformed; the message names the file, line, field and the fix."""


@dataclass(frozen=True)
class SourcedValue:
    """One number with its unit and provenance."""

    item: str
    value: float
    unit: str
    source: str
    date: dt.date
    note: str = ""
    currency: str = ""

    @property
    def is_assumption(self) -> bool:
        """True when the figure is the course's own assumption rather than a published one."""
        return self.source.startswith("course assumption")


SourcedTable = Mapping[str, SourcedValue]


def sourced_rows(path: Path | str, columns: tuple[str, ...], label: tuple[str, ...] = ("item",),
                 optional: tuple[str, ...] = OPTIONAL_COLUMNS) -> Iterator[tuple[str, dict]]:
    """``(where, row)`` for each row of a dated, sourced CSV table, after the checks all such tables share.

    The file must exist and hold at least one row; its header must have ``columns``;
    every row needs as many cells, a value in every column but ``optional``, and a
    YYYY-MM-DD ``date``. ``where`` names the file, the line and the ``label``
    columns, so every later message points at the row. A UTF-8 BOM (Excel) is fine.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: 파일이 없습니다. 저장소의 data/ 폴더에서 복원해 주세요.")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in columns if c not in (reader.fieldnames or ())]
        if missing:
            raise DataFileError(f"{path.name}: 열 {', '.join(missing)}이(가) 없습니다. "
                                f"첫 줄은 {','.join(columns)} 이어야 합니다 (지금: {','.join(reader.fieldnames or ())}).")
        rows = 0
        for row in reader:
            rows += 1
            where = f"{path.name}:{reader.line_num}" + (f" ({'.'.join(str(row.get(c)) for c in label)})" if label else "")
            if None in row or any(row.get(c) is None for c in columns):
                raise DataFileError(f"{where}: 열 개수가 머리줄({len(columns)}개)과 다릅니다. 쉼표가 든 값은 큰따옴표로 감싸 주세요.")
            if not row["source"].strip():
                raise DataFileError(f"{where}: source 값이 비어 있습니다. 출처를 적거나, 과정의 가정이면 'course assumption'이라고 적어 주세요.")
            empty = [c for c in columns if c not in optional and not row[c].strip()]
            if empty:
                raise DataFileError(f"{where}: {', '.join(empty)} 값이 비어 있습니다. 모든 칸을 채워 주세요.")
            check_date(row["date"], f"{where}: date")
            yield where, row
        if not rows:
            raise DataFileError(f"{path.name}: 머리줄만 있고 데이터 행이 없습니다.")


def check_date(text: str, field: str) -> dt.date:
    """A YYYY-MM-DD date (the format of every data table's ``date`` column), or a DataFileError naming ``field``."""
    text = (text or "").strip()
    try:
        if not ISO_DATE.fullmatch(text):
            raise ValueError
        return dt.date.fromisoformat(text)
    except ValueError:
        raise DataFileError(f"{field}={text!r}: YYYY-MM-DD 형식의 날짜가 필요합니다 (예: 2026-11-21).") from None


def load_sourced_csv(path: Path, columns: tuple[str, ...]) -> dict[str, SourcedValue]:
    """Read and validate a provenance table; items keep file order."""
    table: dict[str, SourcedValue] = {}
    for where, row in sourced_rows(path, columns):
        entry = _checked_row(row, columns, where)
        if entry.item in table:
            raise DataFileError(f"{where}: item={entry.item!r}가 중복됩니다. 한 항목은 한 줄에만 적어 주세요.")
        table[entry.item] = entry
    return table


def _checked_row(row: dict, columns: tuple[str, ...], where: str) -> SourcedValue:
    item = row["item"].strip()
    try:
        value = float(row["value"])
    except ValueError:
        raise DataFileError(f"{where}: value={row['value']!r}는 숫자가 아닙니다. 단위 없이 숫자만 적어 주세요 (예: 1400).") from None
    if not math.isfinite(value) or value < 0:
        raise DataFileError(f"{where}: value={row['value']!r}: 0 이상의 유한한 숫자가 필요합니다.")
    currency = row.get("currency", "").strip() if "currency" in columns else ""
    if "currency" in columns and currency not in CURRENCIES:
        raise DataFileError(f"{where}: currency={currency!r}, 가능한 값: {', '.join(CURRENCIES)}")
    date = check_date(row["date"], f"{where}: date")
    return SourcedValue(item, value, row["unit"].strip(), row["source"].strip(), date, row["note"].strip(), currency)


def load_prices(path: Path = PRICES_CSV) -> dict[str, SourcedValue]:
    """``data/prices.csv``: API token prices, GPU rental prices, the exchange rate."""
    return load_sourced_csv(path, PRICE_COLUMNS)


def load_compute_facts(path: Path = COMPUTE_CSV) -> dict[str, SourcedValue]:
    """``data/compute.csv``: GPU specs, memory rules of thumb, published training runs."""
    return load_sourced_csv(path, FACT_COLUMNS)


def load_answer_quality(path: Path = ANSWER_QUALITY_CSV) -> dict[str, SourcedValue]:
    """``data/rag/answer_quality.csv``: the course's recorded RAG answer quality (``measured.*``,
    written by ``benchmarks/rag_bench.py --record``) and published figures for API models (``reported.*``)."""
    return load_sourced_csv(path, FACT_COLUMNS)


def lookup(table: SourcedTable, item: str) -> SourcedValue:
    """``table[item]`` with an error that lists similar items instead of a bare KeyError."""
    try:
        return table[item]
    except KeyError:
        prefix = item.split(".")[0]
        near = [name for name in table if name.startswith(prefix)]
        raise DataFileError(f"항목 {item!r}이(가) 데이터 파일에 없습니다. 비슷한 항목: {', '.join(near) or '(없음)'}") from None


def value(table: SourcedTable, item: str) -> float:
    """The number of one item."""
    return lookup(table, item).value


def format_value(number: float, currency: str = "") -> str:
    """A figure as a reader should see it: thousands separators, no scientific notation.

    Counts print whole (70000000000.0 → "70,000,000,000"); money prints cents
    (21.957642 → "21.96", 0.1 → "0.10"); other fractions keep their significant
    digits (0.001 → "0.001"). Display only: calculations use the exact value.
    """
    if float(number).is_integer():
        return f"{int(number):,}"
    if currency and number >= 1:
        return f"{number:,.2f}"
    text = f"{number:,.6f}".rstrip("0")
    if currency and len(text.split(".")[1]) < 2:
        text = f"{number:,.2f}"
    return text


def display_unit(row: SourcedValue) -> str:
    """The unit with its currency written once: "USD per 1M tokens", "KRW per USD"."""
    if row.currency and row.currency not in row.unit.split():
        return f"{row.currency} {row.unit}"
    return row.unit


def assumed_items(table: SourcedTable, items: Iterable[str] | None = None) -> list[str]:
    """The items (all by default) whose source is the course's own assumption, to be replaced before deciding."""
    return [name for name in (table if items is None else items) if lookup(table, name).is_assumption]


@lru_cache(maxsize=1)
def _full_width_frame_type():
    """A DataFrame that shows whole cells: a citation cut at 80 characters cannot be checked."""
    import pandas as pd

    class FullWidthFrame(pd.DataFrame):
        @property
        def _constructor(self):
            return FullWidthFrame

        def __repr__(self) -> str:
            with pd.option_context("display.max_colwidth", None, "display.max_columns", None):
                return super().__repr__()

        def _repr_html_(self):
            with pd.option_context("display.max_colwidth", None, "display.max_columns", None):
                return super()._repr_html_()

    return FullWidthFrame


def provenance_frame(table: SourcedTable, items: Iterable[str] | None = None):
    """The given items (all by default) with readable value, unit, full source, date and note."""
    rows = [lookup(table, name) for name in (table if items is None else items)]
    frame = _full_width_frame_type()(
        [(r.item, format_value(r.value, r.currency), display_unit(r), r.source, r.date.isoformat(), r.note) for r in rows],
        columns=["항목", "값", "단위", "출처", "날짜", "비고"],
    )
    return frame.set_index("항목")
