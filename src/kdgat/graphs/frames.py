"""Ingested Parquet -> the builders' inputs (numpy arrays, no per-row Python)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from kdgat.graphs.arrays import CanFrames

# uint64 masks keeping the first L bytes of a little-endian word, L = 0..8
_KEEP_BYTES = np.array([(1 << (8 * length)) - 1 for length in range(9)], dtype="<u8")


def payload_matrix(payload: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """(uint8 [N, 8] bytes zero-padded, int64 [N] real length up to 8) of binary payloads."""
    if isinstance(payload, pa.ChunkedArray):
        payload = payload.combine_chunks()
    payload = payload.cast(pa.large_binary())
    n = len(payload)
    offsets = np.frombuffer(payload.buffers()[1], np.int64)[payload.offset : payload.offset + n + 1]
    data = payload.buffers()[2]
    raw = np.frombuffer(data, np.uint8) if data is not None else np.zeros(0, np.uint8)
    # Every row's next 8 bytes read as one little-endian uint64 at any byte offset (an
    # unaligned view over the buffer), then the bytes past the row's length masked off.
    padded = np.concatenate([raw, np.zeros(8, np.uint8)])
    words = np.ndarray((len(raw) + 1,), dtype="<u8", buffer=padded, strides=(1,))
    lengths = np.minimum(np.diff(offsets), 8)
    rows = words[offsets[:-1]] & _KEEP_BYTES[lengths]
    return rows.view(np.uint8).reshape(n, 8), lengths


def can_frames(table: pa.Table, id_index: np.ndarray, attack_codes: dict[str, int]) -> CanFrames:
    """A capture's frames; ``id_index`` is the vocabulary index of every frame's id."""
    payload, dlc_bytes = payload_matrix(table["payload"])
    kinds = pc.dictionary_encode(table["attack_type"]).combine_chunks()
    if pa.types.is_dictionary(table["attack_type"].type):
        kinds = table["attack_type"].combine_chunks()
    names = kinds.dictionary.to_pylist()
    lookup = np.array([attack_codes.get(name, 0) for name in names] + [0], dtype=np.int32)
    indices = pc.fill_null(kinds.indices, len(names)).to_numpy(zero_copy_only=False)
    return CanFrames(
        timestamp=table["timestamp"].to_numpy(),
        arbitration_id=table["arbitration_id"].to_numpy().astype(np.int64),
        id_index=id_index,
        payload=payload,
        dlc_bytes=dlc_bytes,
        label=table["label"].to_numpy().astype(np.uint8),
        attack_code=lookup[indices],
    )
