"""Every kind of bad file gets a one-line reason naming it; the rest of the batch goes in."""

import io

import docx
import pytest

from tests.conftest import SEEDS


def make_pdf(text: str) -> bytes:
    """A minimal one-page PDF with a real text layer (offsets computed, so readers accept it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = io.BytesIO(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def make_docx(paragraphs: list[str]) -> bytes:
    document = docx.Document()
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


@pytest.fixture
def batch(tmp_path):
    folder = tmp_path / "batch"
    folder.mkdir()
    (folder / "good.txt").write_text("Port Reopens\nThe port reopened on Monday after the storm.")
    (folder / "good.pdf").write_bytes(make_pdf("Rail workers agreed a new pay deal on Friday."))
    (folder / "good.docx").write_bytes(
        make_docx(["Bridge Opens", "The new bridge opened to traffic."])
    )
    (folder / "good.html").write_text(
        "<html><head><title>Museum Reopens</title><script>alert('x')</script></head><body>"
        "<nav>Home | News</nav><article><h1>Museum Reopens</h1><p>The city museum reopened on "
        "Saturday after a two-year renovation that cost twelve million euros.</p><p>Visitors "
        "queued for hours to see the restored galleries and the new wing.</p></article>"
        "<footer>Subscribe now</footer></body></html>"
    )
    (folder / "latin1.txt").write_bytes(
        "Grève à Marseille\nLes dockers ont cessé le travail jeudi, selon le syndicat.".encode(
            "latin-1"
        )
    )
    bad = {
        "empty.txt": b"",
        "binary.txt": b"\x00\x01\x02\x03" * 100,
        "garbled.md": bytes(range(128, 256)) * 40,
        "truncated.pdf": make_pdf("This file is cut short.")[:120],
        "truncated.docx": make_docx(["cut"] * 50)[:400],
        "scripts.html": b"<html><head><script>var a=1;</script></head><body><script>"
        b"document.write('x')</script></body></html>",
    }
    for name, data in bad.items():
        (folder / name).write_bytes(data)
    return folder, set(bad)


def test_bad_files_are_named_with_a_reason_and_the_rest_is_ingested(batch, seeded_library):
    folder, bad_names = batch
    report = seeded_library.ingest([folder])
    failed = {f.path.rsplit("/", 1)[-1]: f.reason for f in report.failed}
    assert set(failed) == bad_names
    assert all(reason and "\n" not in reason for reason in failed.values())
    assert "empty" in failed["empty.txt"]
    assert "binary" in failed["binary.txt"]
    assert "encoding" in failed["garbled.md"]
    assert "PDF" in failed["truncated.pdf"]
    assert "DOCX" in failed["truncated.docx"]
    assert "HTML" in failed["scripts.html"]
    assert sorted(report.added) == ["good", "good-2", "good-3", "good-4", "latin1"]
    # nothing already in the library is lost
    assert len(seeded_library.sources()) == 5 + 5


def test_each_format_yields_its_text(batch, library):
    folder, _ = batch
    library.ingest([folder])
    texts = {s.path.rsplit("/", 1)[-1]: library.source_text(s.id) for s in library.sources()}
    assert "pay deal" in texts["good.pdf"]
    assert "new bridge opened" in texts["good.docx"]
    assert "two-year renovation" in texts["good.html"]
    assert "alert" not in texts["good.html"] and "Home | News" not in texts["good.html"]
    assert "Grève à Marseille" in texts["latin1.txt"]


def test_huge_text_file_is_refused(tmp_path, library):
    huge = tmp_path / "huge.txt"
    huge.write_bytes(b"word " * (21 * 1024 * 1024 // 5 + 1))
    report = library.ingest([huge, SEEDS / "000_af46ed12ca4a5ab7.txt"])
    assert [f.path for f in report.failed] == [str(huge)]
    assert "too large" in report.failed[0].reason
    assert report.added == ["000_af46ed12ca4a5ab7"]


def test_unsupported_and_missing_paths_are_reported(tmp_path, library):
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff")
    report = library.ingest([tmp_path / "photo.jpg", tmp_path / "nope.txt"])
    reasons = [f.reason for f in report.failed]
    assert "unsupported file type '.jpg'" in reasons and "no such file or folder" in reasons
