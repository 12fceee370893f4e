"""The specialised model of the seed's hybrid: notebook 03's LoRA adapter, loaded lazily.

The adapter was fine-tuned for one narrow job, sorting an inquiry into one of the
company's support categories, so that is the job it does here: a highly
specialised request (ventilation sizing, a clinic's infection control) is handed
to the specialist team of the category the model picks, instead of letting a
270M general model invent figures. That is the seed's point about specialised
models: narrow, trained for one task, called only when the router asks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragfirst.hybrid.output import RouteOutput
from ragfirst.llm.models import DEFAULT_MODEL
from ragfirst.lora import finetune

HANDOFF = "전문 상담이 필요한 문의로 보고 '{category}' 담당 전문 상담원에게 넘겼습니다. 상담원 연결: 고객센터 평일 09:00~18:00."
NOTE = "특화 모델(03 노트북의 LoRA 어댑터, {model})이 문의 범주를 '{category}'로 분류했습니다."


@dataclass
class LoraSpecialist:
    """Base model + saved LoRA adapter, predicting the support category of a request."""

    model: Any
    tokenizer: Any
    labels: finetune.LabelSpace
    name: str

    def __call__(self, text: str) -> RouteOutput:
        category = finetune.predict(self.model, self.tokenizer, self.labels, [text])[0]
        return RouteOutput(HANDOFF.format(category=category), self.name,
                           note=NOTE.format(model=self.name, category=category))


def load_lora_specialist(directory: Path | str | None = None, model_name: str = DEFAULT_MODEL) -> LoraSpecialist | None:
    """The specialist when a saved adapter exists (run notebook 03 once), else None."""
    from ragfirst.llm.models import load_causal_lm

    directory = Path(directory) if directory else finetune.default_adapter_dir()
    if not (directory / "adapter_config.json").is_file():
        return None
    base, tokenizer = load_causal_lm(model_name)
    categories = finetune.categories_of(finetune.load_examples(finetune.TRAIN_FILE))
    return LoraSpecialist(finetune.load_adapter(base, directory), tokenizer, finetune.label_space(tokenizer, categories),
                          f"{model_name}+lora:{directory.name}")
