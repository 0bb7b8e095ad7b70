"""Reading QR codes from scans: PDF pages (pypdfium2) and PNG/JPEG images (Pillow), decoded by zxing-cpp.

Wheels only: a restore needs no system package. Each image is read as it is; when that finds
fewer codes than the page's marker announces (or no marker), a page of a low-resolution scan is read
again enlarged twice and sharpened, which recovers codes from blurred scans. What a page may cost is
checked first (``MAX_PIXELS``, ``MAX_RENDER_PIXELS``, ``ENLARGE_PIXELS``, ``MAX_PAGES``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..rules.redaction import shown_path
from ..storage import fsutil
from . import lines as L  # noqa: N812

PDF_DPI = 200
# What one page may cost, checked before anything is decoded, rendered or enlarged: a sheet's page is
# 4 million pixels at 200 dpi and 35 million scanned at 600 dpi (A4). A larger image is refused; a larger
# PDF page is rendered smaller; only a page of at most ENLARGE_PIXELS is read again enlarged twice (what
# helps a low-resolution scan; a large one needs no enlarging).
MAX_PIXELS = 40_000_000
MAX_RENDER_PIXELS = 16_000_000
ENLARGE_PIXELS = 12_000_000
MAX_PAGES = 1_000  # about 5,000 accounts a file: a larger sheet is restored from several files


@dataclass(frozen=True)
class Decoded:
    text: str
    where: str  # "scan.pdf page 3", "photo.jpg"


def _codes(image) -> set[str]:
    import zxingcpp

    return {b.text for b in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode) if b.valid}


def _expected(texts: set[str]) -> int | None:
    """How many account codes the page's marker announces (None: no marker read)."""
    for text in texts:
        if L.is_marker(text):
            try:
                return len(L.parse_marker(text, "").accounts)
            except InputError:
                return None
    return None


def read_image(image) -> set[str]:
    """The QR codes' texts on one page image (a Pillow image)."""
    from PIL import Image, ImageFilter

    gray = image.convert("L")
    found = _codes(gray)
    expected = _expected(found)
    accounts = sum(1 for t in found if not L.is_marker(t))
    if (expected is None or accounts < expected) and gray.width * gray.height <= ENLARGE_PIXELS:
        big = gray.resize((gray.width * 2, gray.height * 2), Image.LANCZOS)
        found |= _codes(big.filter(ImageFilter.UnsharpMask(radius=4, percent=200, threshold=0)))
    return found


def read_scan(path: Path) -> list[Decoded]:
    """Every QR code in a scan file: a PDF (every page) or a PNG/JPEG image."""
    data = fsutil.read_bytes(path, "scan")
    name = shown_path(path)
    if data.startswith(b"%PDF"):
        return _read_pdf(data, name)
    return [Decoded(text, name) for text in sorted(_read_picture(data, name))]


def _read_pdf(data: bytes, name: str) -> list[Decoded]:
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(data)
    except pypdfium2.PdfiumError:
        raise InputError(f"{name} is not a PDF that can be read (damaged or encrypted): scan it again") from None
    try:
        if len(document) > MAX_PAGES:
            raise InputError(f"{name} has {len(document)} pages, more than {MAX_PAGES}: split it")
        out = []
        for index in range(len(document)):
            page = document[index]
            width, height = page.get_size()
            scale = PDF_DPI / 72
            if width * height * scale * scale > MAX_RENDER_PIXELS:
                scale = (MAX_RENDER_PIXELS / (width * height)) ** 0.5
            image = page.render(scale=scale, grayscale=True).to_pil()
            out += [Decoded(text, f"{name} page {index + 1}") for text in sorted(read_image(image))]
        return out
    finally:
        document.close()


def _read_picture(data: bytes, name: str) -> set[str]:
    import io
    import warnings

    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():  # Pillow warns of a large image: refused below, in one error line
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            opened = Image.open(io.BytesIO(data))
        with opened as image:
            if image.width * image.height > MAX_PIXELS:
                raise InputError(f"{name} is {image.width}x{image.height} pixels: scan at 300 dpi or less")
            image.load()
            return read_image(image)
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, SyntaxError):
        raise InputError(f"{name} is neither a PDF nor an image that can be read (PNG, JPEG): scan it again") from None
