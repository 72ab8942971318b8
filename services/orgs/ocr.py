"""Reading a business licence (营业执照) offline: RapidOCR (PaddleOCR's models on ONNX
Runtime, shipped inside the rapidocr-onnxruntime wheel: nothing is downloaded at run time).

`read_licence(image_bytes)` gives the unit name and the unified social credit code it found.
The engine loads lazily on first use (about half a second) and is shared by all threads.
"""
from __future__ import annotations

import io
import logging
import re
import threading
from dataclasses import dataclass, field

from .model import CREDIT_CODE_ALPHABET, credit_code_problem

log = logging.getLogger(__name__)
_engine = None
_lock = threading.Lock()

# What OCR tends to read for a credit-code character that the code's alphabet excludes.
_CONFUSIONS = {"O": "0", "I": "1", "S": "5", "Z": "2", "V": "U", "L": "1"}
_CODE_CANDIDATE = re.compile(r"[0-9A-Z]{18}")
_NAME_LABEL = re.compile(r"^(名\s*称|单位名称|企业名称)[：:\s]*")
_CODE_LABEL = "统一社会信用代码"


class UnreadableImage(ValueError):
    """The bytes are not an image we can decode."""


class OcrUnavailable(RuntimeError):
    """The OCR engine cannot load here (e.g. OpenCV's libGL missing in a slim image)."""


@dataclass
class LicenceReading:
    name: str | None = None
    credit_code: str | None = None
    lines: list[str] = field(default_factory=list)

    @property
    def recognised(self) -> bool:
        """Both found, and the code's check character is right."""
        return bool(self.name and self.credit_code
                    and credit_code_problem(self.credit_code) is None)


def _ocr():
    global _engine
    with _lock:
        if _engine is None:
            try:
                from rapidocr_onnxruntime import RapidOCR

                _engine = RapidOCR()
            except (ImportError, OSError) as error:
                log.exception("OCR engine unavailable")
                raise OcrUnavailable(str(error)) from error
        return _engine


def _decode(image: bytes):
    import numpy as np
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(image)) as picture:
            if picture.width * picture.height > 40_000_000:  # checked before decoding
                raise UnreadableImage("图片尺寸过大")
            picture.load()
            return np.array(picture.convert("RGB"))[:, :, ::-1]  # RGB -> BGR for OpenCV
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as error:
        raise UnreadableImage(str(error)) from error


def _fix_code(candidate: str) -> str | None:
    """The candidate if valid, else the candidate with OCR's usual confusions undone, if that
    one is valid; None otherwise."""
    if credit_code_problem(candidate) is None:
        return candidate
    fixed = "".join(_CONFUSIONS.get(c, c) for c in candidate)
    if all(c in CREDIT_CODE_ALPHABET for c in fixed) and credit_code_problem(fixed) is None:
        return fixed
    return None


def parse_lines(lines: list[str]) -> LicenceReading:
    """Finds the name and the credit code among the text lines of a licence."""
    reading = LicenceReading(lines=list(lines))
    compact = [re.sub(r"\s+", "", line) for line in lines]
    # The code: after its label if there is one, else any 18-character run that checks out.
    ordered = sorted(compact, key=lambda line: _CODE_LABEL not in line)
    fallback = None
    for line in ordered:
        for candidate in _CODE_CANDIDATE.findall(line.upper().replace(_CODE_LABEL, " ")):
            fixed = _fix_code(candidate)
            if fixed:
                reading.credit_code = fixed
                break
            fallback = fallback or candidate
        if reading.credit_code:
            break
    reading.credit_code = reading.credit_code or fallback
    for index, line in enumerate(compact):
        match = _NAME_LABEL.match(line)
        if match:
            name = line[match.end():].strip("：: ")
            if not name and index + 1 < len(compact):  # label and value on two lines
                name = compact[index + 1]
            reading.name = name or None
            break
    return reading


def read_licence(image: bytes) -> LicenceReading:
    """OCR of a licence image; UnreadableImage when the bytes are not an image,
    OcrUnavailable when the engine cannot run here."""
    picture = _decode(image)
    result, _elapsed = _ocr()(picture)
    lines = [text for _box, text, _score in (result or [])]
    return parse_lines(lines)
