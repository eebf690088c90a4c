"""Near-duplicate detection: word shingles, MinHash signatures and LSH band keys.

Pure: no database. A body's words (casefolded, ``\\w+``) make overlapping
``SHINGLE``-word shingles, each hashed to 64 bits. Its MinHash signature holds,
for each of ``NUM_PERM`` hash functions, the smallest hash of any shingle; two
bodies agree on a signature value with probability equal to the Jaccard
similarity of their shingle sets. The signature is cut into ``BANDS`` bands of
``ROWS`` values, and each band is hashed to one signed 64-bit key: two bodies
share at least one key with probability ``1 - (1 - J**ROWS)**BANDS`` (98% at
J = 0.8, 27% at 0.5, 3% at 0.3), so the archive finds candidates by looking up
the keys, never by scanning; each candidate is then verified with the exact
Jaccard similarity of the shingle sets (``THRESHOLD``).

The hash functions are multiply-shift hashes of the shingle hashes
(``(a * x + b) mod 2**64``, top 32 bits), computed for all shingles at once
with numpy: about 0.1 ms for a 3 KB body (README, "Near-duplicates").
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass

import numpy as np

SHINGLE = 3  # words per shingle: a changed word spoils three shingles (README: 3 separates as well as 5)
BANDS = 10
ROWS = 5
NUM_PERM = BANDS * ROWS
# Fewer shingles than this (fewer than 22 words): too short to tell a copy from a common phrasing.
MIN_SHINGLES = 20
# At least this share of shingles in common (Jaccard similarity) makes a copy.
THRESHOLD = 0.8

WORD = re.compile(r"\w+")
# ASCII's bytes with those ``WORD`` does not match (all but letters, digits and "_") made spaces.
_ASCII_WORD_BYTES = bytes(c if chr(c).isalnum() or chr(c) == "_" else 0x20 for c in range(128)) + b" " * 128
_rng = np.random.default_rng(20261202)  # fixed: the stored band keys depend on these
_A = _rng.integers(1, 2**63, size=NUM_PERM, dtype=np.uint64) | np.uint64(1)  # odd multipliers
_B = _rng.integers(0, 2**63, size=NUM_PERM, dtype=np.uint64)
# Word hashes are 32-bit CRCs, mixed into a 64-bit shingle hash by position.
_MIX_ALL = np.array(
    [0x9E3779B97F4A7C15, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9, 0xD6E8FEB86659FD93, 0xFF51AFD7ED558CCD],
    dtype=np.uint64,
)
_MIX = _MIX_ALL[:SHINGLE]
_SHIFT = np.uint64(32)


@dataclass(frozen=True, eq=False)
class Fingerprint:
    """A body's shingle hashes (for the exact check) and band keys (for the index); empty when too short.

    The hashes are a sorted numpy array: 8 bytes a shingle, where a set of Python ints takes about 60.
    """

    shingles: np.ndarray
    keys: tuple[int, ...]

    def __bool__(self) -> bool:
        return bool(self.keys)


EMPTY = Fingerprint(np.empty(0, dtype=np.uint64), ())


def words(text: str) -> list[str]:
    """Return the text's words, casefolded."""
    return WORD.findall(text.casefold())


def word_hashes(text: str) -> np.ndarray:
    """Return the 32-bit CRC of the UTF-8 of each of the text's ``words``, in order, as uint64."""
    if text.isascii():  # the same words, cut out of the bytes: twice as fast as the regular expression
        found = text.lower().encode().translate(_ASCII_WORD_BYTES).split()
    else:
        found = [word.encode() for word in words(text)]
    return np.fromiter(map(zlib.crc32, found), dtype=np.uint64, count=len(found))


def shingle_hashes(text: str) -> np.ndarray:
    """Return the 64-bit hashes of the text's ``SHINGLE``-word shingles (unique, as uint64)."""
    hashed = word_hashes(text)
    if len(hashed) < SHINGLE:
        return np.empty(0, dtype=np.uint64)
    count = len(hashed) - SHINGLE + 1
    mixed = np.zeros(count, dtype=np.uint64)
    for position in range(SHINGLE):
        mixed ^= (hashed[position : position + count] + np.uint64(position + 1)) * _MIX[position]
    mixed ^= mixed >> _SHIFT
    return _unique(mixed)


def _unique(values: np.ndarray) -> np.ndarray:
    """Return ``values`` sorted without repeats: ``np.unique``'s result in a tenth of its time on a body's shingles."""
    values = np.sort(values)
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    return values[keep]


def signature(hashes: np.ndarray) -> np.ndarray:
    """Return the MinHash signature (``NUM_PERM`` uint64 values below 2**32) of non-empty shingle hashes."""
    values: np.ndarray = ((hashes[:, None] * _A[None, :] + _B[None, :]) >> _SHIFT).min(axis=0)
    return values


def band_keys(values: np.ndarray) -> tuple[int, ...]:
    """Return one signed 64-bit key per band of a signature: the hash of the band's number and values."""
    rows = values.astype("<u4").reshape(BANDS, ROWS)
    return tuple(
        int.from_bytes(hashlib.blake2b(bytes([band]) + row.tobytes(), digest_size=8).digest(), "little", signed=True)
        for band, row in enumerate(rows)
    )


def fingerprint(text: str) -> Fingerprint:
    """Return the fingerprint of a body; ``EMPTY`` if it has fewer than ``MIN_SHINGLES`` shingles."""
    hashes = shingle_hashes(text)
    if len(hashes) < MIN_SHINGLES:
        return EMPTY
    return Fingerprint(hashes, band_keys(signature(hashes)))


def jaccard(first: np.ndarray, second: np.ndarray) -> float:
    """Return the exact Jaccard similarity of two sets of shingle hashes (sorted, unique; 0 if both are empty)."""
    common = len(np.intersect1d(first, second, assume_unique=True))
    union = len(first) + len(second) - common
    return common / union if union else 0.0


def is_copy(first: Fingerprint, second: Fingerprint, *, threshold: float = THRESHOLD) -> bool:
    """Tell whether two fingerprinted bodies share at least ``threshold`` of their shingles."""
    return bool(first) and bool(second) and jaccard(first.shingles, second.shingles) >= threshold


def best_match(
    item: Fingerprint, candidates: dict[int, Fingerprint], *, threshold: float = THRESHOLD
) -> tuple[int, float] | None:
    """Return (id, similarity) of the candidate most like ``item`` at ``threshold`` or more (lowest id on a tie)."""
    scored = [(jaccard(item.shingles, other.shingles), -pk) for pk, other in candidates.items() if other]
    best = max(scored, default=None)
    return (-best[1], best[0]) if best is not None and best[0] >= threshold else None
