"""The one source of chance: a seeded 32-bit generator both runtimes compute bit for bit.

A state of play carries `luck`, a 32-bit number: the seed at the start, one step on
(`following`) at every move. Everything random is a pure function of it, so replaying the
same moves from the same seed, undoing, and loading a save (which keeps the seed) give the
same draws:

- `draw(luck, k, lo, hi)`: the k-th value a move draws (`flag = random(lo, hi)`), from the
  luck of the state the move is made in;
- `pick(luck, salt, n)`: which of n options a shuffle `{~a|b|c}` shows in a state, `salt`
  telling the shuffles of one text apart.

The mixing is murmur3's 32-bit finaliser; engine/web/runtime.js has the same four functions
(with Math.imul), and the golden transcripts and the conformance tests hold them equal.
"""

from __future__ import annotations

MASK = 0xFFFFFFFF
GOLDEN = 0x9E3779B9


def mix(x: int) -> int:
    x &= MASK
    x ^= x >> 16
    x = (x * 0x85EBCA6B) & MASK
    x ^= x >> 13
    x = (x * 0xC2B2AE35) & MASK
    x ^= x >> 16
    return x


def seeded(seed: int) -> int:
    """The luck of a start made with `seed` (any int; a save keeps it)."""
    return mix(seed & MASK)


def following(luck: int) -> int:
    """The luck of the state a move leads to."""
    return mix(luck + GOLDEN)


def draw(luck: int, k: int, lo: int, hi: int) -> int:
    """The k-th draw (0-based) of a move made with `luck`: a whole number from lo to hi."""
    return lo + mix(luck ^ ((k + 1) * 0x7FEB352D & MASK)) % (hi - lo + 1)


def pick(luck: int, salt: int, n: int) -> int:
    """Which of n options (0-based) a shuffle salted `salt` shows with `luck`."""
    return mix(luck ^ ((salt + 1) * 0x846CA68B & MASK)) % n
