"""Seeded generators of session states, secrets and salts for the interop drivers.

Everything here is deterministic for a given ``random.Random``, so a failing case can be
replayed with the same seed.
"""

import json
import math
import random
import struct

# Character pools, chosen for what tends to break JSON writers and key derivations.
ASCII = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-./:;!?@#$%&*+=~"
JSON_SPECIAL = "\"\\/\b\f\n\r\t'<>&"
CONTROL = "".join(chr(c) for c in list(range(0x00, 0x20)) + [0x7F, 0x80, 0x85, 0x9F])
LATIN1 = "".join(chr(c) for c in range(0xA0, 0x100))
BMP = "€ΩжЖ中文日本語한국어\u2028\u2029\ufeff\ufffd\u0301\u200b\ud7ff\ue000"
ASTRAL = "\U0001F600\U0001F680\U00010000\U0010FFFF\U0001D11E\U00020000"
POOLS = [ASCII, JSON_SPECIAL, CONTROL, LATIN1, BMP, ASTRAL]

# Floats whose repr is known to trip up formatters: exponent thresholds, signed zero,
# subnormals, the extremes, and values that are not exact in binary.
SPECIAL_FLOATS = [
    0.0,
    -0.0,
    0.1,
    0.2 + 0.1,
    1.5,
    -2.5,
    1e16,
    -1e16,
    1e15,
    9999999999999998.0,
    1e-7,
    1e-4,
    0.0001,
    0.00001,
    1e22,
    1e23,
    5e-324,
    2.2250738585072014e-308,
    1.7976931348623157e308,
    -1.7976931348623157e308,
    123456789.123456789,
    1700000000.123456,
    2.0**53,
    2.0**63,
    -(2.0**63),
    float(2**64),
]

SPECIAL_INTS = [
    0,
    1,
    -1,
    2**31 - 1,
    -(2**31),
    2**53,
    2**53 + 1,
    -(2**53) - 1,
    2**63 - 1,
    -(2**63),
    10**18,
    -(10**18),
]


def text(rng: random.Random, max_len: int = 12, pools=None) -> str:
    """A string mixing the character pools (control and astral characters included)."""
    pools = pools or POOLS
    length = rng.randint(0, max_len)
    return "".join(rng.choice(rng.choice(pools)) for _ in range(length))


def finite_float(rng: random.Random) -> float:
    """A float: a special one, a random bit pattern, or a human-looking decimal."""
    kind = rng.randrange(4)
    if kind == 0:
        return rng.choice(SPECIAL_FLOATS)
    if kind == 1:
        while True:
            (value,) = struct.unpack("<d", rng.getrandbits(64).to_bytes(8, "little"))
            if math.isfinite(value):
                return value
    if kind == 2:
        return round(rng.uniform(-1e6, 1e6), rng.randint(0, 8))
    return rng.uniform(-1.0, 1.0) * 10.0 ** rng.randint(-30, 30)


def integer(rng: random.Random) -> int:
    """An integer within what both sides hold exactly: [-2^63, 2^63 - 1]."""
    kind = rng.randrange(3)
    if kind == 0:
        return rng.choice(SPECIAL_INTS)
    if kind == 1:
        return rng.randint(-1000, 1000)
    return rng.randint(-(2**63), 2**63 - 1)


def value(rng: random.Random, depth: int = 0):
    """A JSON value; containers only down to depth 3."""
    choices = ["str", "int", "float", "bool", "null"]
    if depth < 3:
        choices += ["list", "dict"]
    kind = rng.choice(choices)
    if kind == "str":
        return text(rng, 16)
    if kind == "int":
        return integer(rng)
    if kind == "float":
        return finite_float(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    return {text(rng, 8): value(rng, depth + 1) for _ in range(rng.randint(0, 4))}


def state(rng: random.Random, max_json_len: int = 1200) -> dict:
    """A session state (a JSON object) that fits comfortably in one cookie."""
    if rng.random() < 0.08:
        return {}
    for _ in range(100):
        candidate = {}
        for _ in range(rng.randint(1, 6)):
            # Now and then Pyramid's own keys (flash queues, CSRF token).
            if rng.random() < 0.1:
                key = rng.choice(["_csrft_", "_f_", "_f_errors"])
            else:
                key = text(rng, 10)
            candidate[key] = value(rng)
        if len(json.dumps(candidate)) <= max_json_len:
            return candidate
    return {"fallback": 1}


def latin1_text(rng: random.Random, min_len: int, max_len: int) -> str:
    """Text that fits in latin-1 (so WebOb encodes it as latin-1), never NUL (argv cannot hold
    it), with at least one character above U+007F so the encoding matters."""
    pool = ASCII + LATIN1 + "".join(chr(c) for c in range(0x01, 0x20))
    body = "".join(rng.choice(pool) for _ in range(rng.randint(min_len, max_len)))
    return body + rng.choice(LATIN1)


def unicode_text(rng: random.Random, min_len: int, max_len: int) -> str:
    """Text with at least one character above U+00FF (so WebOb switches to UTF-8)."""
    pool = ASCII + LATIN1 + BMP + ASTRAL
    body = "".join(rng.choice(pool) for _ in range(rng.randint(min_len, max_len)))
    return body + rng.choice(BMP + ASTRAL)
