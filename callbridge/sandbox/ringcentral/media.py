"""Deterministic media bytes: recordings (WAV / MPEG), fax PDFs, MMS images, Range requests."""

from __future__ import annotations

import hashlib
import struct
import zlib
from collections.abc import Iterator
from functools import lru_cache

from .errors import api_error

__all__ = ["MediaBlob", "fax_pdf", "parse_range", "png_image", "recording_blob"]

CHUNK = 64 * 1024
_MP3_FRAME = 417  # MPEG-1 Layer III, 128 kbit/s, 44.1 kHz, no padding
_MP3_HEADER = bytes([0xFF, 0xFB, 0x90, 0x64])


@lru_cache(maxsize=256)
def _pattern(seed: str, length: int) -> bytes:
    out = bytearray()
    counter = 0
    while len(out) < length:
        out += hashlib.sha256(f"{seed}:{counter}".encode()).digest()
        counter += 1
    return bytes(out[:length])


class MediaBlob:
    """A `size`-byte body = header + a repeating pattern; any slice is computed, never stored."""

    def __init__(self, header: bytes, unit: bytes, size: int, content_type: str) -> None:
        self.header = header
        self.unit = unit
        self.size = max(size, len(header))
        self.content_type = content_type

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Bytes [start, end] inclusive, in chunks."""
        pos = start
        while pos <= end:
            stop = min(end + 1, pos + CHUNK)
            yield self._slice(pos, stop)
            pos = stop

    def _slice(self, start: int, stop: int) -> bytes:
        out = bytearray()
        hlen = len(self.header)
        if start < hlen:
            out += self.header[start:min(stop, hlen)]
            start = hlen
        ulen = len(self.unit)
        while start < stop:
            off = (start - hlen) % ulen
            take = min(stop - start, ulen - off)
            out += self.unit[off:off + take]
            start += take
        return bytes(out)

    def read(self) -> bytes:
        return b"".join(self.iter_range(0, self.size - 1))


def recording_blob(rec_id: str, content_type: str, duration: int, size: int | None) -> MediaBlob:
    """WAV (8 kHz 16-bit mono PCM) or MPEG (128 kbit/s frames), sized by duration by default."""
    if content_type in ("audio/wav", "audio/x-wav"):
        total = size if size is not None else 44 + duration * 16000
        data_len = max(0, total - 44)
        header = (b"RIFF" + struct.pack("<I", 36 + data_len) + b"WAVE"
                  + b"fmt " + struct.pack("<IHHIIHH", 16, 1, 1, 8000, 16000, 2, 16)
                  + b"data" + struct.pack("<I", data_len))
        return MediaBlob(header, _pattern(f"wav:{rec_id}", 4096), total, content_type)
    total = size if size is not None else max(_MP3_FRAME, duration * 16000)
    frame = _MP3_HEADER + _pattern(f"mp3:{rec_id}", _MP3_FRAME - 4)
    id3 = b"ID3\x04\x00\x00\x00\x00\x00\x00"
    return MediaBlob(id3, frame, total, content_type)


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """`bytes=a-b`, `bytes=a-` or `bytes=-n` → (start, end); None when absent; 416 when bad."""
    if not header:
        return None
    bad = api_error(416, "CMN-107", "Requested Range Not Satisfiable",
                    headers={"Content-Range": f"bytes */{size}"})
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        raise bad
    first, _, last = spec.strip().partition("-")
    try:
        if first == "":
            n = int(last)
            if n <= 0:
                raise bad
            start, end = max(0, size - n), size - 1
        else:
            start = int(first)
            end = int(last) if last else size - 1
    except ValueError:
        raise bad from None
    end = min(end, size - 1)
    if start > end or start >= size:
        raise bad
    return start, end


def fax_pdf(title: str, pages: int = 1) -> bytes:
    """A tiny valid PDF with `pages` pages, each showing one line of text."""
    objects: list[bytes] = []
    kids = " ".join(f"{3 + i * 2} 0 R" for i in range(pages))
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode())
    font_ref = 3 + pages * 2
    for i in range(pages):
        text = f"{title} - page {i + 1}".replace("(", "[").replace(")", "]")
        stream = f"BT /F1 14 Tf 72 720 Td ({text}) Tj ET".encode()
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {4 + i * 2} 0 R "
            f"/Resources << /Font << /F1 {font_ref} 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n"
                       + stream + b"\nendstream")
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>")
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for num, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{num} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for off in offsets:
        out += f"{off:010d} 00000 n \n".encode()
    out += (f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
            ).encode()
    return bytes(out)


def png_image(seed: str, width: int = 8, height: int = 8) -> bytes:
    """A small valid RGB PNG whose pixels depend on `seed`."""
    pix = _pattern(f"png:{seed}", width * height * 3)
    raw = b"".join(b"\x00" + pix[y * width * 3:(y + 1) * width * 3] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))
