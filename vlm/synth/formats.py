"""Minimal EPUB and XPS files, for testing the sources that convert them to PDF pages."""

from __future__ import annotations

import io
import zipfile


def epub_bytes(title: str, paragraphs: list[str]) -> bytes:
    """A minimal valid EPUB 3 with one XHTML chapter."""
    body = "".join(f"<p>{p}</p>" for p in paragraphs)
    files = {
        "META-INF/container.xml": (
            '<?xml version="1.0"?><container version="1.0" '
            'xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
            '<rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>"
        ),
        "OEBPS/content.opf": (
            '<?xml version="1.0" encoding="utf-8"?><package xmlns="http://www.idpf.org/2007/opf" '
            'version="3.0" unique-identifier="id"><metadata '
            'xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:identifier id="id">synth</dc:identifier>'
            f"<dc:title>{title}</dc:title><dc:language>ko</dc:language></metadata><manifest>"
            '<item id="c1" href="c1.xhtml" media-type="application/xhtml+xml"/></manifest>'
            '<spine><itemref idref="c1"/></spine></package>'
        ),
        "OEBPS/c1.xhtml": (
            '<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml">'
            f"<head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
        ),
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        # The EPUB container rule: "mimetype" first and stored uncompressed.
        zf.writestr("mimetype", "application/epub+zip", compress_type=zipfile.ZIP_STORED)
        for name, text in files.items():
            zf.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def xps_bytes(pages: int = 1) -> bytes:
    """A minimal XPS document of A4 pages, each with one filled rectangle (no fonts needed)."""
    w, h = 793.76, 1122.56  # A4 in XPS units of 1/96 inch
    refs = "".join(f'<PageContent Source="Pages/{i + 1}.fpage"/>' for i in range(pages))
    files = {
        "[Content_Types].xml": (
            '<?xml version="1.0" encoding="utf-8"?><Types '
            'xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="fdseq" ContentType="application/vnd.ms-package.xps-fixeddocumentsequence+xml"/>'
            '<Default Extension="fdoc" ContentType="application/vnd.ms-package.xps-fixeddocument+xml"/>'
            '<Default Extension="fpage" ContentType="application/vnd.ms-package.xps-fixedpage+xml"/>'
            "</Types>"
        ),
        "_rels/.rels": (
            '<?xml version="1.0" encoding="utf-8"?><Relationships '
            'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Type="http://schemas.microsoft.com/xps/2005/06/fixedrepresentation" '
            'Target="/FixedDocumentSequence.fdseq" Id="R0"/></Relationships>'
        ),
        "FixedDocumentSequence.fdseq": (
            '<FixedDocumentSequence xmlns="http://schemas.microsoft.com/xps/2005/06">'
            '<DocumentReference Source="Documents/1/FixedDocument.fdoc"/></FixedDocumentSequence>'
        ),
        "Documents/1/FixedDocument.fdoc": (
            f'<FixedDocument xmlns="http://schemas.microsoft.com/xps/2005/06">{refs}</FixedDocument>'
        ),
    }
    for i in range(pages):
        files[f"Documents/1/Pages/{i + 1}.fpage"] = (
            f'<FixedPage xmlns="http://schemas.microsoft.com/xps/2005/06" Width="{w}" '
            f'Height="{h}" xml:lang="ko-KR"><Path Fill="#FF336699" '
            'Data="M 96,96 L 600,96 L 600,300 L 96,300 Z"/></FixedPage>'
        )
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()
