"""MP3 helpers: silent frames for the offline voice, joining synthesised pieces, duration."""

import io

from mutagen.mp3 import MP3

# MPEG-1 Layer III, 32 kbit/s, 48 kHz, mono: every frame is exactly 96 bytes and 24 ms
# (1152 samples), so the offline voice's length is exact and mutagen reads it back precisely.
_FRAME_HEADER = bytes([0xFF, 0xFB, 0x14, 0xC0])
_FRAME = _FRAME_HEADER + bytes(96 - len(_FRAME_HEADER))  # zero side info: a silent granule
FRAME_SECONDS = 1152 / 48000


def silent_mp3(seconds: float) -> bytes:
    frames = max(1, round(seconds / FRAME_SECONDS))
    return _FRAME * frames


def mp3_duration(data: bytes) -> float:
    return float(MP3(io.BytesIO(data)).info.length)


_BITRATES = {
    # (version bits, layer bits) -> kbit/s table; only what TTS output uses (Layer III).
    3: [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 0],  # MPEG-1
    2: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0],  # MPEG-2
    0: [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160, 0],  # MPEG-2.5
}
_SAMPLE_RATES = {3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000]}


def _frame_length(header: bytes) -> int | None:
    if len(header) < 4 or header[0] != 0xFF or (header[1] & 0xE0) != 0xE0:
        return None
    version = (header[1] >> 3) & 0x3
    layer = (header[1] >> 1) & 0x3
    if version == 1 or layer != 1:  # reserved version, or not Layer III
        return None
    bitrate_index = (header[2] >> 4) & 0xF
    rate_index = (header[2] >> 2) & 0x3
    if bitrate_index in (0, 15) or rate_index == 3:
        return None
    bitrate = _BITRATES[version][bitrate_index] * 1000
    sample_rate = _SAMPLE_RATES[version][rate_index]
    padding = (header[2] >> 1) & 0x1
    coefficient = 144 if version == 3 else 72
    return coefficient * bitrate // sample_rate + padding


def _strip(data: bytes) -> bytes:
    """Drop ID3 tags and a leading Xing/Info/VBRI frame, which would describe only this piece."""
    if data[:3] == b"ID3" and len(data) >= 10:
        size = (data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9]
        data = data[10 + size :]
    if len(data) >= 128 and data[-128:-125] == b"TAG":
        data = data[:-128]
    start = data.find(b"\xff")
    while start != -1 and _frame_length(data[start : start + 4]) is None:
        start = data.find(b"\xff", start + 1)
    if start == -1:
        return data
    data = data[start:]
    length = _frame_length(data[:4])
    if length and any(tag in data[:length] for tag in (b"Xing", b"Info", b"VBRI")):
        data = data[length:]
    return data


def mp3_join(pieces: list[bytes]) -> bytes:
    """Join MP3 pieces into one stream whose duration mutagen measures as the sum of the parts."""
    if len(pieces) == 1:
        return pieces[0]
    return b"".join(_strip(piece) for piece in pieces)


def mp3_frames_span(data: bytes) -> tuple[int, int, int]:
    """(start, end, frames) of the chain of MPEG Layer III frames that begins at the first frame
    after any ID3v2 tag: a real MP3 is frames from end to end (tags aside), while bytes that only
    happen to hold a frame header somewhere chain one or two. (0, 0, 0) when there is none."""
    start = 0
    if data[:3] == b"ID3" and len(data) >= 10:
        start = 10 + ((data[6] << 21) | (data[7] << 14) | (data[8] << 7) | data[9])
    start = data.find(b"\xff", start)
    while start != -1 and _frame_length(data[start : start + 4]) is None:
        start = data.find(b"\xff", start + 1)
    if start == -1:
        return 0, 0, 0
    frames, position = 0, start
    while (length := _frame_length(data[position : position + 4])) and (
        position + length <= len(data)
    ):
        frames += 1
        position += length
    return start, position, frames
