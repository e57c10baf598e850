"""Bytes of hand-made wasm modules, for tests and the adversarial sweep that craft hostile ones."""


def _leb(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def custom_section(name: str, payload: bytes) -> bytes:
    """A custom section to append to a module (sections may come in any order after the header)."""
    body = _leb(len(name)) + name.encode() + payload
    return b"\x00" + _leb(len(body)) + body
