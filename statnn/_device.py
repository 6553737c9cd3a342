"""The one resolver of torch device names, for the torch sampler and the torch MLP.

Imported only by torch code (it imports torch), so ``import statnn`` stays free of torch.
"""

from __future__ import annotations

import re

import torch

from statnn._validation import param_error
from statnn.errors import BackendUnavailableError

_DEVICE_RE = re.compile(r"cpu|cuda(:\d+)?")


def resolve_device(device, caller: str = "the torch backend") -> torch.device:
    """``None`` → CPU; ``'cpu'``, ``'cuda'`` or ``'cuda:N'`` (or a torch.device) checked
    against this machine: a malformed name is a ValidationError naming ``caller``'s
    'device' parameter, a GPU this machine lacks a BackendUnavailableError."""
    if device is None:
        return torch.device("cpu")
    text = str(device) if isinstance(device, torch.device) else device
    if not isinstance(text, str) or not _DEVICE_RE.fullmatch(text):
        raise param_error("device", caller, "None, 'cpu', 'cuda' or 'cuda:N'", device)
    if text.startswith("cuda"):
        if not torch.cuda.is_available():
            build = "a CPU-only build" if torch.version.cuda is None else "no visible GPU"
            raise BackendUnavailableError(
                f"The 'device' parameter of {caller} asks for {text!r}, but CUDA is not "
                f"available on this machine (torch {torch.__version__} has {build}; "
                "torch.cuda.is_available() is False). Use device='cpu'."
            )
        index = int(text.split(":")[1]) if ":" in text else 0
        if index >= torch.cuda.device_count():
            raise BackendUnavailableError(
                f"The 'device' parameter of {caller} asks for {text!r}, which does not exist: "
                f"this machine has {torch.cuda.device_count()} CUDA device(s)."
            )
    return torch.device(text)
