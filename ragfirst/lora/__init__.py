"""LoRA with peft on the course's real pretrained model, on CPU (notebook 03).

- ``finetune``  the routing task, training, adapters, merging
- ``measure``   step cost and memory measured in a subprocess; the seed's claims judged
- ``charts``    the notebook's charts
"""
