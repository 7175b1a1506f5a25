"""Turn a file on disk into plain article text, or a one-line reason why not.

Everything here treats the file as hostile: sizes are checked before reading (and the read is
bounded, since a file may grow or misreport its size), a DOCX is checked for what it would
expand to before it is unpacked, special files are never opened for reading, links are
followed only by the rule in `iter_input_files`, and text hidden in HTML is dropped.
"""

from __future__ import annotations

import errno
import io
import os
import re
import stat
from pathlib import Path

from ..schema import FileError

SUPPORTED_SUFFIXES = {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx"}
# Decimal units throughout, so the limits and the messages agree ("50 MB" is 50,000,000 bytes).
MAX_FILE_BYTES = 50_000_000  # raw file; PDFs and DOCX carry images
MAX_TEXT_CHARS = 20_000_000  # extracted text: "huge" per the product's limits
# A DOCX is a zip: a real article is a few dozen parts and a few MB unpacked (images included,
# which do not compress). A zip bomb declares gigabytes; python-docx would unpack it all.
MAX_DOCX_PARTS = 2_000
MAX_DOCX_UNPACKED_BYTES = 200_000_000
# libxml2 stops building an HTML tree at this depth (even with huge_tree): the text below it
# would be lost without a word, so such a page is read by a streaming fallback instead.
HTML_MAX_DEPTH = 2048
# The metadata sidecar beside articles (retrieval.library.SIDECAR_NAME): read, not ingested.
_SIDECAR_NAME = "metadata.json"


class LoadError(Exception):
    """A file cannot be ingested; the message is the reason shown to the user."""


def size_text(n: int) -> str:
    """A byte count for people: '50 MB', '2.1 GB', '717 kB' (decimal units)."""
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return f"{n} bytes"


def count_text(n: int) -> str:
    """A character count for people: '20 M', '21.5 M', '950 k'."""
    for unit, scale in (("M", 1e6), ("k", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f}".removesuffix(".0") + f" {unit}"
    return str(n)


def iter_input_files(
    paths: list[Path],
) -> tuple[list[Path], list[FileError], list[FileError]]:
    """Expand folders; return the files to read, the paths skipped and the paths that failed.

    Every path named or found ends up in exactly one of the three lists, with its reason.

    Named paths (given by the user) are taken as asked: a named link is followed (the file is
    read, and stored, as the file it points to), a named hidden file is read, a named folder
    is walked. A named path that does not exist, a dangling link, a link loop or an
    unsupported file type fails.

    Inside a walked folder:
    - hidden entries (name starting with '.') are skipped: "hidden file (name it directly to
      add it)"; a hidden folder is skipped whole, with one line;
    - a link is followed only when its target stays inside the folder being walked (a file
      is then read as the file it points to, once, however many links reach it); a link
      leaving the folder, a dangling link and a link loop are skipped with that reason;
    - special files (FIFO, socket, device) are skipped and never opened: opening a FIFO
      blocks until someone writes to it;
    - unsupported file types are skipped; the metadata sidecar is skipped as such.
    Folders are walked without recursion, in name order, so deep trees are fine.
    """
    files: list[Path] = []
    skipped: list[FileError] = []
    failed: list[FileError] = []
    listed: dict[str, str] = {}  # real path -> path as found, for files already in `files`

    def add_file(shown: Path, real: Path, *, named: bool) -> None:
        if str(real) in listed:
            skipped.append(_error(shown, f"same file as {listed[str(real)]}"))
            return
        suffix = real.suffix.lower()
        if suffix not in SUPPORTED_SUFFIXES:
            reason = f"unsupported file type '{suffix or '(none)'}'"
            (failed if named else skipped).append(_error(shown, reason))
            return
        listed[str(real)] = str(shown)
        # A link is read as its target, so the file's type and stored path are the target's.
        files.append(real if shown.is_symlink() else shown)

    for path in paths:
        path = Path(path)
        try:
            info = os.stat(path)  # follows links
        except OSError as exc:
            failed.append(_error(path, _missing_reason(path, exc)))
            continue
        if stat.S_ISDIR(info.st_mode):
            _walk(path, add_file, skipped, failed)
        elif stat.S_ISREG(info.st_mode):
            add_file(path, Path(os.path.realpath(path)), named=True)
        else:
            skipped.append(_error(path, _special_reason(info.st_mode)))
    return files, skipped, failed


def _walk(top: Path, add_file, skipped: list[FileError], failed: list[FileError]) -> None:
    """Depth-first walk of `top` in name order (see iter_input_files for the rules)."""
    root = Path(os.path.realpath(top))
    visited = {root}  # real folders walked, so a link cannot bring the walk back
    stack: list[tuple[Path, Path]] = [(top, root)]  # (folder as found, its real path)
    while stack:
        shown_dir, real_dir = stack.pop()
        try:
            with os.scandir(real_dir) as scan:
                # Links after the files: a file reached both ways is listed under its own name.
                entries = sorted(scan, key=lambda e: (e.is_symlink(), e.name))
        except OSError as exc:
            failed.append(_error(shown_dir, f"cannot read folder ({exc.strerror or exc})"))
            continue
        folders: list[tuple[Path, Path]] = []
        for entry in entries:
            shown = shown_dir / entry.name
            if entry.name.startswith("."):
                kind = "hidden folder" if entry.is_dir(follow_symlinks=False) else "hidden file"
                skipped.append(_error(shown, f"{kind} (name it directly to add it)"))
                continue
            try:
                if entry.is_symlink():
                    real, problem = _link_target(shown, root)
                    if problem:
                        skipped.append(_error(shown, problem))
                        continue
                    info = os.stat(real)
                else:
                    real = Path(entry.path)
                    info = entry.stat(follow_symlinks=False)
            except OSError as exc:
                failed.append(_error(shown, f"cannot read ({exc.strerror or exc})"))
                continue
            if stat.S_ISDIR(info.st_mode):
                if real == real_dir or real in real_dir.parents:
                    skipped.append(_error(shown, f"link loop (leads back to {real})"))
                    continue
                if real in visited:
                    how = "link to a folder" if entry.is_symlink() else "folder"
                    skipped.append(_error(shown, f"{how} already read ({real})"))
                    continue
                visited.add(real)
                folders.append((shown, real))
            elif stat.S_ISREG(info.st_mode):
                if entry.name == _SIDECAR_NAME:
                    skipped.append(_error(shown, "metadata sidecar (read for the files beside it)"))
                else:
                    add_file(shown, real, named=False)
            else:
                skipped.append(_error(shown, _special_reason(info.st_mode)))
        stack.extend(reversed(folders))


def _link_target(link: Path, root: Path) -> tuple[Path, str | None]:
    """Where a link found in the folder `root` leads, or why it is not followed."""
    try:
        target = os.readlink(link)
    except OSError as exc:
        return link, f"link cannot be read ({exc.strerror or exc})"
    try:
        real = link.resolve(strict=True)
    except FileNotFoundError:
        return link, f"dangling link (its target {target} does not exist)"
    except (RuntimeError, OSError) as exc:  # Python raises RuntimeError for a loop before 3.13
        if isinstance(exc, RuntimeError) or exc.errno == errno.ELOOP:
            return link, "link loop (the link leads back to itself)"
        return link, f"link cannot be followed ({exc.strerror or exc})"
    if real != root and root not in real.parents:
        return real, f"link leaving the folder (to {real}; name it directly to add it)"
    return real, None


def _missing_reason(path: Path, exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "link loop (the link leads back to itself)"
    if isinstance(exc, FileNotFoundError):
        if os.path.islink(path):
            return f"dangling link (its target {os.readlink(path)} does not exist)"
        return "no such file or folder"
    return f"cannot read ({exc.strerror or exc})"


def _special_reason(mode: int) -> str:
    kind = (
        "FIFO"
        if stat.S_ISFIFO(mode)
        else "socket"
        if stat.S_ISSOCK(mode)
        else "device"
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode)
        else "not a regular file"
    )
    return f"special file ({kind}), not read"


def _error(path: Path, reason: str) -> FileError:
    return FileError(path=str(path), reason=reason)


def read_limited(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its stat, refusing before reading what is too large.

    Opened without blocking and checked on the open descriptor: a FIFO put in a file's place
    is refused, not waited on. The size is checked before reading, and the read itself stops
    one byte past the limit, so a file that grows or misreports its size (a sparse file, a
    /proc file) cannot fill memory.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    with os.fdopen(fd, "rb") as file:
        info = os.fstat(file.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise LoadError(_special_reason(info.st_mode))
        if info.st_size > limit:
            raise LoadError(
                f"file is too large ({size_text(info.st_size)}; limit {size_text(limit)})"
            )
        try:
            data = file.read(limit + 1)
        except OSError as exc:
            raise LoadError(f"cannot read file ({exc.strerror or exc})") from exc
    if len(data) > limit:
        raise LoadError(
            f"file is too large (it reported {size_text(info.st_size)}, yet more than "
            f"{size_text(limit)} could be read; limit {size_text(limit)})"
        )
    return data, info


def load_text(path: Path, data: bytes | None = None) -> str:
    """Extracted text of a supported file (its bytes, if already read); raises LoadError."""
    if data is None:
        data, _ = read_limited(path)
    if not data:
        raise LoadError("file is empty")
    if len(data) > MAX_FILE_BYTES:
        raise LoadError(
            f"file is too large ({size_text(len(data))}; limit {size_text(MAX_FILE_BYTES)})"
        )
    suffix = path.suffix.lower()
    if suffix == ".pdf":
        text = _pdf_text(data)
    elif suffix == ".docx":
        text = _docx_text(data)
    else:
        raw = decode_text(data)
        text = _html_text(raw) if suffix in {".html", ".htm"} else raw
    text = _normalise(text)
    if len(text) > MAX_TEXT_CHARS:
        raise LoadError(
            f"text is too large ({count_text(len(text))} characters; "
            f"limit {count_text(MAX_TEXT_CHARS)} characters)"
        )
    if not text.strip():
        raise LoadError("no text found in file")
    return text


_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
# What Western European text in cp1252 / Latin-1 holds beyond ASCII: letters of the Latin-1
# supplement and cp1252's extra letters, and the punctuation and signs news text uses.
_WESTERN_LETTERS = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŒœŠšŽžŸƒ"
)
_WESTERN_MARKS = frozenset("’‘“”„‚–—…«»‹›°€£¥¢§©®™±·•¿¡ªº\xa0\xad´¨¶†‡‰¹²³¼½¾µ×÷")
# A sign glued between two letters ("mo¿e", "wi¹za") is what a Central European code page read
# as cp1252 looks like; apostrophes and the Catalan middle dot do sit inside words.
_SIGN_INSIDE_WORD = re.compile(
    "[^\\W\\d_][" + re.escape("".join(sorted(_WESTERN_MARKS - set("’‘·\xad")))) + "][^\\W\\d_]"
)
_ACCENTED_RUN = re.compile("[" + "".join(sorted(_WESTERN_LETTERS)) + "]{4,}")
_ASCII = bytes(range(128))
_ASCII_LETTERS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_STRAY_RUNS = re.compile("[\udc80-\udcff]+")
_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def decode_text(data: bytes) -> str:
    """The text of a plain-text file, whatever of the usual encodings it is in.

    In order: a byte-order mark (UTF-8, UTF-16, UTF-32); UTF-16 without one, told by its zero
    bytes; UTF-8; mostly UTF-8 with a few Western (cp1252/Latin-1) letters pasted in, each
    piece decoded as what it is, or refused as "mixed encodings"; one Western legacy encoding
    (cp1252, which reads Latin-1 text the same); and only then charset-normalizer's guess, which
    alone picks cp1250 for short French or German text ("crčme brűlée").
    """
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return _decode_as(data, encoding, with_bom=True)
    utf16 = _utf16_without_bom(data)
    if utf16:
        return _decode_as(data, utf16, with_bom=False)
    if b"\x00" in data[:8192]:
        raise LoadError("binary file, not text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    # Python's strict UTF-8 decoder, keeping each byte it rejects as a lone surrogate
    # (U+DC80..U+DCFF): where the stray bytes are, at C speed, with no second parser.
    escaped = data.decode("utf-8", errors="surrogateescape")
    stray_bytes = len(data) - len(escaped.encode("utf-8", errors="ignore"))
    ascii_bytes = len(data) - len(data.translate(None, _ASCII))
    utf8_chars = len(escaped) - ascii_bytes - stray_bytes  # non-ASCII, validly encoded
    # A Latin-1 capital followed by a sign can form valid UTF-8 by chance ("É" + no-break
    # space): a few such pairs among many stray bytes mean a legacy file, not a mixed one.
    if utf8_chars and not (utf8_chars * 10 <= stray_bytes and _reads_as_cp1252(data)):
        return _decode_mixed(escaped)
    return _decode_legacy(data)


def _reads_as_cp1252(data: bytes) -> bool:
    try:
        return _reads_as_western(data, data.decode("cp1252"))
    except UnicodeDecodeError:
        return False


def _decode_as(data: bytes, encoding: str, *, with_bom: bool) -> str:
    name = encoding.removesuffix("-sig").upper()
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        how = "starts with a" if with_bom else "looks like"
        raise LoadError(f"text {how} {name} mark but is not valid {name} ({exc.reason})") from exc
    if len(_CONTROL.findall(text[:65536])) > len(text[:65536]) // 100:
        raise LoadError("binary file, not text")
    return text


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 of mostly Latin-script text: every other byte is zero, on one side only."""
    sample = data[:65536]
    if len(sample) < 4 or len(data) % 2:
        return None
    even, odd = sample[0::2], sample[1::2]
    zero_even, zero_odd = even.count(0) / len(even), odd.count(0) / len(odd)
    if zero_odd > 0.3 and zero_even < 0.02:
        return "utf-16-le"
    if zero_even > 0.3 and zero_odd < 0.02:
        return "utf-16-be"
    return None


def _decode_mixed(escaped: str) -> str:
    """Mostly UTF-8 with some bytes that are not (`escaped`: decoded with surrogateescape):
    each short stray piece read as cp1252 if it is a Western letter or sign there (a Latin-1
    "ï" pasted into UTF-8 text), else refused."""
    return _STRAY_RUNS.sub(
        lambda run: _stray_piece(bytes(ord(char) - 0xDC00 for char in run.group())), escaped
    )


def _stray_piece(raw: bytes) -> str:
    try:
        text = raw.decode("cp1252")
    except UnicodeDecodeError:
        text = ""
    if not text or len(raw) > 3 or not set(text) <= _WESTERN_LETTERS | _WESTERN_MARKS:
        raise LoadError(
            "mixed encodings: mostly UTF-8, with bytes in another encoding that cannot be "
            "told apart (save the file as UTF-8)"
        )
    return text


def _decode_legacy(data: bytes) -> str:
    """Not UTF-8 at all: cp1252 (which reads Latin-1 alike) or else Latin-9 (ISO-8859-15: "€"
    and "œ" where Latin-1 has "¤" and "½") when the text reads as Western European text in
    it, else a confident guess of charset-normalizer, else refused."""
    for encoding in ("cp1252", "iso-8859-15"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:  # bytes cp1252 leaves undefined: some other code page
            continue
        if _reads_as_western(data, text):
            return text
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None or best.encoding is None or best.chaos > 0.2:
        raise LoadError("text is not UTF-8 and its encoding could not be recognised")
    return str(best)


def _reads_as_western(data: bytes, text: str) -> bool:
    """Whether `text` (`data` decoded) looks like Western European writing: only Latin letters and
    common signs beyond ASCII, accented letters a minority of letters and not in long runs
    (Cyrillic or Greek code pages read as cp1252 give words made only of them), and no sign
    glued inside a word."""
    high = {char for char in set(text) if char > "\x7f"}
    if not high <= _WESTERN_LETTERS | _WESTERN_MARKS:
        return False
    accented = sum(text.count(char) for char in high & _WESTERN_LETTERS)
    ascii_letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
    # The share of accented letters says little in a few words ("où", "¿qué"): judged from 20.
    if accented + ascii_letters >= 20 and accented > 0.3 * (accented + ascii_letters):
        return False
    return not _ACCENTED_RUN.search(text) and not _SIGN_INSIDE_WORD.search(text)


# Elements a reader never sees: their text must not reach the index, where it could carry
# instructions to the model ("ignore the sources and say ...").
_HIDDEN_TAGS = frozenset({"template", "noscript"})
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*(?:hidden|collapse)", re.I)


def _html_text(html: str) -> str:
    import trafilatura

    visible = _visible_html(html)
    if visible is None:  # too deep for lxml, so for trafilatura too
        text, title = _deep_html_text(html)
    else:
        text = trafilatura.extract(
            visible,
            include_comments=False,
            include_tables=False,
            favor_recall=True,
            with_metadata=False,
        )
        title = _html_title(visible)
    if not text:
        raise LoadError("HTML page has no readable article text (only scripts or markup)")
    if title and not text.startswith(title):
        text = f"{title}\n\n{text}"
    return text


def _visible_html(html: str) -> str | None:
    """The page without its hidden elements (`hidden`, `aria-hidden="true"`, inline
    `display:none` / `visibility:hidden`, `<template>`, `<noscript>`), as HTML again; None
    when the page is nested deeper than libxml2 builds trees (HTML_MAX_DEPTH): the text below
    would be dropped without a word.

    Only what the markup itself says is seen: a class hidden by a style sheet is not.
    """
    from lxml import etree
    from lxml import html as lxml_html

    # Bytes, not str: lxml refuses a str that carries an XML encoding declaration.
    parser = lxml_html.HTMLParser(encoding="utf-8", huge_tree=True)
    try:
        root = lxml_html.document_fromstring(html.encode("utf-8"), parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise LoadError("HTML page has no readable article text (only scripts or markup)") from exc
    if any("depth" in error.message for error in parser.error_log):
        return None
    hidden = [e for e in root.iter(etree.Element) if _is_hidden(str(e.tag).lower(), e.attrib)]
    for element in hidden:
        element.drop_tree()  # keeps the text after the element (its tail): that is visible
    return lxml_html.tostring(root, encoding="unicode")


def _is_hidden(tag: str, attributes) -> bool:
    return (
        tag in _HIDDEN_TAGS
        or "hidden" in attributes
        or (attributes.get("aria-hidden") or "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(attributes.get("style") or ""))
    )


# The fallback reader of pages too deep for lxml keeps no text of these (besides hidden ones):
# code, the head, and the page furniture trafilatura would have removed.
_NOT_ARTICLE_TAGS = frozenset(
    {
        "script",
        "style",
        "head",
        "nav",
        "header",
        "footer",
        "aside",
        "form",
        "button",
        "svg",
        "iframe",
        "select",
        "textarea",
        "object",
    }
)
_VOID_TAGS = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "table",
        "tr",
        "td",
        "th",
        "br",
        "hr",
        "dd",
        "dt",
        "figcaption",
    }
)


def _deep_html_text(html: str) -> tuple[str, str | None]:
    """(visible text, title) of a page too deep for lxml, read by the standard library's
    streaming parser, which keeps no tree (so no depth limit): one line per block element,
    hidden elements and page furniture left out. Plainer than trafilatura's extraction, but
    the words on the page are read rather than lost."""
    from collections import Counter
    from html.parser import HTMLParser

    class FlatText(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.open: list[tuple[str, bool]] = []  # (tag, its text is left out)
            self.open_count: Counter[str] = Counter()
            self.leaving_out = 0  # open elements whose text is left out
            self.parts: list[str] = []
            self.title: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag in _BLOCK_TAGS:
                self.parts.append("\n")
            if tag in _VOID_TAGS:
                return
            out = tag in _NOT_ARTICLE_TAGS or _is_hidden(tag, dict(attrs))
            self.open.append((tag, out))
            self.open_count[tag] += 1
            self.leaving_out += out

        def handle_endtag(self, tag):
            if tag in _BLOCK_TAGS:
                self.parts.append("\n")
            if not self.open_count[tag]:
                return  # a stray end tag: ignored, as browsers do
            while self.open:  # close what was left open inside it too
                name, out = self.open.pop()
                self.open_count[name] -= 1
                self.leaving_out -= out
                if name == tag:
                    break

        def handle_data(self, data):
            if self.open and self.open[-1][0] == "title":
                self.title.append(data)
            elif not self.leaving_out:
                self.parts.append(data)

    reader = FlatText()
    reader.feed(html)
    reader.close()
    lines = (" ".join(line.split()) for line in "".join(reader.parts).split("\n"))
    title = " ".join("".join(reader.title).split())
    return "\n".join(line for line in lines if line), title or None


def _html_title(html: str) -> str | None:
    import trafilatura

    meta = trafilatura.extract_metadata(html)
    return meta.title.strip() if meta is not None and meta.title else None


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise LoadError(f"PDF cannot be read ({type(exc).__name__}: {exc})") from exc
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        raise LoadError("PDF has no text layer (scanned image?)")
    return text


def _docx_text(data: bytes) -> str:
    import zipfile

    import docx

    _check_docx_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    except Exception as exc:  # python-docx raises its own PackageNotFoundError and lxml errors
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    return "\n\n".join(p.text for p in document.paragraphs)


def _check_docx_zip(data: bytes) -> None:
    """Refuse a DOCX whose zip would unpack into too many parts or too many bytes, from its
    directory alone, before anything is unpacked. The sizes it declares bind: Python's zipfile
    stops a member at its declared size (and fails its CRC), so a lying entry cannot expand
    further when python-docx reads it."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise LoadError(f"DOCX cannot be read ({type(exc).__name__}: {exc})") from exc
    if len(members) > MAX_DOCX_PARTS:
        raise LoadError(
            f"DOCX has {len(members):,} parts (limit {MAX_DOCX_PARTS:,}); refused unread "
            "(a zip bomb?)"
        )
    unpacked = sum(member.file_size for member in members)
    if unpacked > MAX_DOCX_UNPACKED_BYTES:
        raise LoadError(
            f"DOCX would unpack to {size_text(unpacked)} from {size_text(len(data))} "
            f"(limit {size_text(MAX_DOCX_UNPACKED_BYTES)}); refused unread (a zip bomb?)"
        )


def _normalise(text: str) -> str:
    # One newline convention so character offsets are stable across platforms.
    return text.replace("\r\n", "\n").replace("\r", "\n")
