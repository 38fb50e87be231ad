"""How data crosses the sandbox's walls: arrays as plain JSON, one bounded line per message.

Standalone (standard library and numpy only): the sandbox runs it from a read-only copy, and the
grader imports it as ``autograder.calls.wire``. Everything read here may come from student code, so
every reader has a bound: a line longer than its limit, bytes that are not UTF-8 JSON, nesting deeper
than a message has (:data:`MAX_NESTING`), an array whose data does not match its shape, or more entries than the
reader allows all raise :class:`ProtocolError`, which ends one call, never the reader.
"""

import base64
import binascii
import json
import math

import numpy as np

# Bound before any student code runs in this process, so that a student module replacing numpy or
# json functions cannot change how results are encoded.
_array = np.array
_frombuffer = np.frombuffer
_dumps = json.dumps
_loads = json.loads
_b64encode = base64.b64encode
_b64decode = base64.b64decode

#: Array types that cross the wall; everything else is converted to one of them or refused.
ARRAY_TYPES = ("float64", "int64")
#: Most dimensions an array may have.
MAX_DIMENSIONS = 8
#: Most levels of dicts and lists around a value: every message of the protocol has a few. :func:`decode` recurses
#: (two Python frames a level, with its comprehensions), so JSON that the parser takes, a few hundred levels deep,
#: would otherwise end the reader in RecursionError (the sandbox's host, round 4) instead of in ProtocolError.
MAX_NESTING = 32


class ProtocolError(ValueError):
    """Data that does not follow the protocol: malformed, oversized or of an unexpected form."""


def encode(value):
    """Encode numbers and arrays (nested in dicts and lists) as JSON-ready plain data."""
    if isinstance(value, np.ndarray):
        kind = "int64" if value.dtype.kind in "iub" else "float64"
        data = _array(value, dtype=kind, order="C")
        return {"__array__": kind, "shape": list(data.shape), "b64": _b64encode(data.tobytes()).decode("ascii")}
    if isinstance(value, dict):
        return {str(key): encode(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [encode(item) for item in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value)
    if value is None or isinstance(value, str):
        return value
    raise TypeError(f"cannot encode {type(value).__name__}")


def decode(value, max_entries=None):
    """Inverse of :func:`encode`: arrays come back as fresh, writable numpy arrays.

    ``max_entries`` bounds the total number of array entries decoded (None: no bound, for trusted data).
    The declared shape is checked against the length of the encoded data before anything is decoded.
    """
    check_nesting(value)
    return _decode(value, [math.inf if max_entries is None else int(max_entries)])


def _decode(value, budget):
    if isinstance(value, dict):
        if "__array__" in value:
            return _decode_array(value, budget)
        return {key: _decode(item, budget) for key, item in value.items()}
    if isinstance(value, list):
        return [_decode(item, budget) for item in value]
    return value


def check_nesting(value, limit=MAX_NESTING):
    """ProtocolError when ``value`` (parsed JSON) has more than ``limit`` levels of dicts and lists.

    An encoded array's dict is one level and its shape list none, as :func:`decode` reads it. Without recursion: :func:`decode` calls it
    first, and a service request is checked before it is relayed as it was parsed, so that no reader further down
    its own stack, or with a lower recursion limit, is the first to find it too deep.
    """
    level, depth = [value], 0
    while level:
        containers = [item for item in level if isinstance(item, (dict, list))]
        if containers and depth >= limit:
            raise ProtocolError(f"data nested more than {limit} levels deep")
        level = [child for container in containers if not (isinstance(container, dict) and "__array__" in container)
                 for child in (container.values() if isinstance(container, dict) else container)]
        depth += 1


def _decode_array(value, budget):
    kind, shape, data = value.get("__array__"), value.get("shape"), value.get("b64")
    if kind not in ARRAY_TYPES:
        raise ProtocolError(f"unknown array type {kind!r}")
    if (not isinstance(shape, list) or len(shape) > MAX_DIMENSIONS
            or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
        raise ProtocolError("an array's shape is not a short list of sizes")
    if not isinstance(data, str):
        raise ProtocolError("an array's data is not text")
    entries = math.prod(shape)
    if entries > budget[0]:
        raise ProtocolError(f"more array entries than expected (over {budget[0]:g})")
    budget[0] -= entries
    # Base64 of n bytes is 4 * ceil(n / 3) characters: check before decoding anything.
    if len(data) != 4 * math.ceil(entries * 8 / 3):
        raise ProtocolError("an array's data does not match its shape")
    try:
        raw = _b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ProtocolError("an array's data is not base64") from None
    return _frombuffer(raw, dtype=kind).reshape(shape).copy()


def dumps(message):
    """One message as one line of bytes."""
    return (_dumps(message, allow_nan=True, separators=(",", ":")) + "\n").encode("utf-8")


def loads(line, max_bytes):
    """Parse one line (without its newline) into a dict, or raise ProtocolError.

    Refuses lines over ``max_bytes`` before parsing, and turns every failure of the parser
    (invalid UTF-8 or JSON, nesting deep enough to exhaust the recursion limit) into ProtocolError.
    """
    if len(line) > max_bytes:
        raise ProtocolError(f"a message of {len(line)} bytes, over the limit of {max_bytes}")
    try:
        message = _loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError, MemoryError) as error:
        raise ProtocolError(f"a message that is not JSON ({type(error).__name__})") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message that is not a JSON object")
    return message


class LineReader:
    """Splits a byte stream into lines, refusing any line longer than ``max_bytes``."""

    def __init__(self, max_bytes):
        self.max_bytes = max_bytes
        self._pending = []
        self._pending_bytes = 0

    def feed(self, data):
        """Add ``data``; return the complete lines it finishes (without newlines)."""
        *complete, rest = data.split(b"\n")
        lines = []
        if complete:
            # Only the new data is searched for newlines: a long line arriving in chunks costs linear time.
            lines.append(b"".join(self._pending) + complete[0])
            lines += complete[1:]
            self._pending, self._pending_bytes = [], 0
        if rest:
            self._pending.append(rest)
            self._pending_bytes += len(rest)
        if self._pending_bytes > self.max_bytes or any(len(line) > self.max_bytes for line in lines):
            raise ProtocolError(f"a message over the limit of {self.max_bytes} bytes")
        return lines
