"""Sentence embeddings from an ONNX export of all-MiniLM-L6-v2, with onnxruntime and `tokenizers` only.

Both already ship for faster-whisper, so key phrases need no torch: the same numbers as sentence-transformers
(the transformer, then the mean of the token vectors under the attention mask, then L2 normalisation) from
the folder that rtstt.models.onnx_export writes (model.onnx, tokenizer.json).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rtstt.errors import ModelNotFound
from rtstt.onnx_session import cpu_session

MODEL_FILE = "model.onnx"
TOKENIZER_FILE = "tokenizer.json"
MAX_TOKENS = 256  # all-MiniLM-L6-v2's max_seq_length in sentence-transformers (tokenizer.json says 128)


def is_onnx_encoder_folder(folder: Path) -> bool:
    return (folder / MODEL_FILE).is_file() and (folder / TOKENIZER_FILE).is_file()


class OnnxSentenceEncoder:
    """`encode(texts)`: float32 [n, 384] unit vectors. Texts are sorted by length before batching, so a
    batch pads to its own longest text, not to the longest of the call."""

    dimension = 384

    def __init__(self, folder: Path, threads: int = 1, max_tokens: int = MAX_TOKENS, batch_size: int = 32) -> None:
        from tokenizers import Tokenizer

        folder = Path(folder)
        if not is_onnx_encoder_folder(folder):
            raise ModelNotFound(
                f"'{folder}' is not an ONNX sentence encoder ({MODEL_FILE} and {TOKENIZER_FILE})",
                "export it again with `python -m rtstt.models.onnx_export`",
            )
        self.folder = folder
        self.batch_size = max(1, batch_size)
        self.tokenizer = Tokenizer.from_file(str(folder / TOKENIZER_FILE))
        self.tokenizer.enable_truncation(max_tokens)
        pad_id = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad_id is None else pad_id, pad_token="[PAD]")  # per batch
        self.session = cpu_session(folder / MODEL_FILE, threads)
        self._inputs = {i.name for i in self.session.get_inputs()}
        output = self.session.get_outputs()[0]  # last_hidden_state: [batch, sequence, 384]
        self._output = output.name
        if isinstance(output.shape[-1], int):
            self.dimension = output.shape[-1]

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self.batch_size):
            rows = order[start : start + self.batch_size]
            out[rows] = self._encode_batch([texts[i] for i in rows])
        return out

    def _encode_batch(self, texts: list[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(texts)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feed = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": mask,
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (hidden,) = self.session.run([self._output], {k: v for k, v in feed.items() if k in self._inputs})
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.maximum(weights.sum(axis=1), 1e-9)
        return pooled / np.maximum(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12)
