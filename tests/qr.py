"""Reading a QR code back, for browser tests: the printed modules (True = dark, no quiet zone) to the
text they carry (ISO/IEC 18004), as a phone's scanner does for a clean print.

No QR decoder is among the project's packages, hence this small one. It covers what the platform
prints: versions 1-10 at error correction level M (`cases.notices.qr_matrix`), numeric,
alphanumeric and byte segments. It reads the format information and checks its BCH code, but does
not correct errors: a rendered PDF has none.
"""

from __future__ import annotations

# Level M: blocks per version as (count, data codewords per block).
_BLOCKS_M = {1: [(1, 16)], 2: [(1, 28)], 3: [(1, 44)], 4: [(2, 32)], 5: [(2, 43)], 6: [(4, 27)],
             7: [(4, 31)], 8: [(2, 38), (2, 39)], 9: [(3, 36), (2, 37)], 10: [(4, 43), (1, 44)]}
_ALIGNMENT = {1: [], 2: [6, 18], 3: [6, 22], 4: [6, 26], 5: [6, 30], 6: [6, 34], 7: [6, 22, 38],
              8: [6, 24, 42], 9: [6, 26, 46], 10: [6, 28, 50]}
_LEVELS = {0: "M", 1: "L", 2: "H", 3: "Q"}
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_MASKS = [
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i + j) % 2 + (i * j) % 3) % 2 == 0,
]


def _format_code(data: int) -> int:
    """The 15-bit format information of 5 data bits: BCH(15,5) with generator 0x537, masked 0x5412."""
    value = data << 10
    for shift in range(4, -1, -1):
        if value & (1 << (shift + 10)):
            value ^= 0x537 << shift
    return ((data << 10) | value) ^ 0x5412


def _format(modules) -> tuple[str, int]:
    n = len(modules)
    bits = 0
    for i in range(15):  # the copy beside the top-left finder, down column 8 and on below
        row = i if i < 6 else i + 1 if i < 8 else n - 15 + i
        bits |= int(modules[row][8]) << i
    data = (bits ^ 0x5412) >> 10
    if _format_code(data) != bits:
        raise ValueError("format information does not check")
    return _LEVELS[data >> 3], data & 7


def _function_modules(n: int, version: int) -> set[tuple[int, int]]:
    taken = set()
    for r0, c0 in ((0, 0), (0, n - 8), (n - 8, 0)):  # finders, separators, format information
        for r in range(r0, r0 + 9):
            for c in range(c0, c0 + 9):
                if 0 <= r < n and 0 <= c < n:
                    taken.add((r, c))
    for k in range(n):  # timing patterns
        taken.update({(6, k), (k, 6)})
    centres = _ALIGNMENT[version]
    for r in centres:
        for c in centres:
            if (r, c) in ((6, 6), (6, centres[-1]), (centres[-1], 6)):
                continue
            taken.update((r + dr, c + dc) for dr in range(-2, 3) for dc in range(-2, 3))
    if version >= 7:  # version information
        for a in range(6):
            for b in range(n - 11, n - 8):
                taken.update({(a, b), (b, a)})
    return taken


def _codewords(modules, version: int, mask: int) -> list[int]:
    n = len(modules)
    taken = _function_modules(n, version)
    flip = _MASKS[mask]
    bits = []
    upward = True
    col = n - 1
    while col > 0:
        if col == 6:
            col -= 1  # the vertical timing pattern is skipped as a whole column
        rows = range(n - 1, -1, -1) if upward else range(n)
        for row in rows:
            for c in (col, col - 1):
                if (row, c) not in taken:
                    bits.append(int(modules[row][c]) ^ int(flip(row, c)))
        upward = not upward
        col -= 2
    return [int("".join(map(str, bits[k:k + 8])), 2) for k in range(0, len(bits) - 7, 8)]


def _data_bits(codewords: list[int], version: int) -> str:
    lengths = [size for count, size in _BLOCKS_M[version] for _ in range(count)]
    blocks = [[] for _ in lengths]
    position = 0
    for k in range(max(lengths)):  # data codewords are interleaved across the blocks
        for index, size in enumerate(lengths):
            if k < size:
                blocks[index].append(codewords[position])
                position += 1
    return "".join(f"{byte:08b}" for block in blocks for byte in block)


def decode(modules: list[list[bool]]) -> str:
    n = len(modules)
    version = (n - 17) // 4
    if (n - 17) % 4 or version not in _BLOCKS_M:
        raise ValueError(f"{n} modules a side is not a version this reader knows")
    level, mask = _format(modules)
    if level != "M":
        raise ValueError(f"error correction level {level}: this reader knows M")
    stream = _data_bits(_codewords(modules, version, mask), version)
    small = version <= 9
    out = bytearray()
    at = 0

    def take(count: int) -> int:
        nonlocal at
        value = int(stream[at:at + count], 2)
        at += count
        return value

    while at + 4 <= len(stream):
        mode = take(4)
        if mode == 0:  # terminator
            break
        if mode == 0b0001:  # numeric: three digits in 10 bits
            count = take(10 if small else 12)
            while count >= 3:
                out += f"{take(10):03d}".encode()
                count -= 3
            if count:
                out += f"{take(4 if count == 1 else 7):0{count}d}".encode()
        elif mode == 0b0010:  # alphanumeric: two characters in 11 bits
            count = take(9 if small else 11)
            while count >= 2:
                pair = take(11)
                out += (_ALNUM[pair // 45] + _ALNUM[pair % 45]).encode()
                count -= 2
            if count:
                out += _ALNUM[take(6)].encode()
        elif mode == 0b0100:  # bytes
            count = take(8 if small else 16)
            out += bytes(take(8) for _ in range(count))
        else:
            raise ValueError(f"segment mode {mode:04b} is not one this reader knows")
    return out.decode("utf-8")
