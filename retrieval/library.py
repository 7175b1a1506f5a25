"""The library of sources: ingest files, keep them on disk, and search them."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import queue
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel

from models.embedder import Embedder

from .chunker import CHUNKER_VERSION, chunk_spans
from .index import DEFAULT_INDEX, VectorIndex, index_type
from .loaders import LoadError, iter_input_files, load_document, read_limited
from .metadata import extract_metadata, merge_metadata, title_of_text
from .schema import Chunk, FileError, Hit, IngestReport, Source, SourceMeta
from .search import Bm25Index, hits_from_rankings
from .sentences import sentence_spans
from .sidecar import apply_sidecar
from .store import Store

log = logging.getLogger(__name__)

EMBED_BATCH_CHUNKS = 256  # files are embedded and committed in batches of about this many chunks
PREPARE_AHEAD = 64  # files parsed and chunked ahead of the embedder (bounded: memory)


class IngestProgress(BaseModel):
    files_done: int
    files_total: int
    chunks_done: int
    current: str | None = None
    # Files found already in the library (same path, size and modification time, or same
    # bytes): an interrupted import that is run again skips these without reading them.
    files_skipped: int = 0


IngestProgressFn = Callable[[IngestProgress], None]


class _Prepared(BaseModel):
    path: str
    content_hash: str
    text: str
    meta: SourceMeta
    spans: list[tuple[int, int]]
    size: int
    mtime_ns: int


_SKIPPED = "skipped"  # queue item: the file is already in the library
_END = "end"  # queue item: the preparing thread has finished


def manifest_for(embedder: Embedder) -> dict:
    """The manifest keys that decide whether stored vectors can be searched."""
    return {"embedder": embedder.name, "dim": embedder.dim, "chunker": CHUNKER_VERSION}


class Library:
    """One library folder. Safe to search from one thread while another ingests."""

    def __init__(
        self,
        folder: Path,
        *,
        embedder: Embedder,
        index: str = DEFAULT_INDEX,
        check_manifest: bool = True,
    ) -> None:
        self.folder = Path(folder)
        self.embedder = embedder
        # What sentence-level work embeds with: the front end's construction point may put a
        # cache in front of `embedder` (chunks are stored here, so ingest does not use it).
        self.sentence_embedder: Embedder = embedder
        self.index_name = index
        self.index_type = index_type(index)  # see retrieval/index.py
        self.store = Store(self.folder, self._manifest(), check_manifest=check_manifest)
        self._lock = threading.RLock()
        self._dense: VectorIndex | None = None
        self._dense_generation = -1  # the commit `_dense` reflects
        # Told when a write must wait for another process's write (the CLI prints it).
        self.on_lock_wait: Callable[[str], None] | None = None
        self.notices: list[str] = []  # see retrieval.backend.LibraryBackend
        self._bm25: tuple[int, Bm25Index, np.ndarray] | None = None  # (generation, index, ids)

    def _manifest(self) -> dict:
        # Checked on open: the model, its dimension and the chunker decide the vector space.
        # The embedding *backend* is recorded (`embedder_backends` in the manifest, a warning
        # is logged when a second one adds vectors) but not checked, so a library is never
        # mixed silently, yet never refused either. Measured with bench/ingest.py against
        # sentence-transformers on torch (float32): OpenVINO bf16 vectors have cosine 0.99998
        # (min 0.99997) to the torch ones; OpenVINO int8 0.995 (min 0.986), with the same
        # fact-hit@k on the dev questions and the same paraphrase hit@1/@5, top-8 dense overlap
        # 0.94. The differences are far below the gaps between passages that decide a search,
        # so a library whose fast path later falls back to torch keeps working without a
        # reindex; `dossier reindex` re-embeds everything with one backend if wanted.
        return manifest_for(self.embedder)

    def _record_manifest(self, dense: VectorIndex | None = None, *, embedded: bool = False) -> None:
        info: dict = {}
        if dense is not None:
            info["index"] = dense.kind
            info["index_params"] = dense.params()
        if embedded:
            backend = getattr(self.embedder, "backend", None)
            used = list(self.store.read_manifest().get("embedder_backends", []))
            if backend and backend not in used:
                info["embedder_backends"] = [*used, backend]
                if used:
                    log.warning(
                        "Library %s now holds vectors from embedding backends %s",
                        self.folder,
                        ", ".join(info["embedder_backends"]),
                    )
        if info:
            self.store.update_manifest(info)

    # -- reading ------------------------------------------------------------------------
    def sources(self) -> list[Source]:
        sources = self.store.sources()
        for source in sources:
            if not source.meta.title:  # stored by a Dossier that did not derive titles
                title, derived = title_of_text(self.store.source_text(source.id) or "")
                source.meta = source.meta.model_copy(
                    update={"title": title, "title_derived": derived}
                )
        return sources

    def is_empty(self) -> bool:
        return self.store.count_sources() == 0

    def source_text(self, source_id: str) -> str | None:
        return self.store.source_text(source_id)

    def chunks_of(self, source_id: str) -> list[Chunk]:
        return self.store.chunks_of(source_id)

    # -- search -------------------------------------------------------------------------
    def search(self, query: str, k: int = 8, *, candidates: int = 50) -> list[Hit]:
        """Hybrid search: FAISS cosine and BM25 lists fused by reciprocal rank."""
        if not query.strip():
            return []
        query_vector = self.embedder.embed([query])[0]
        return self.search_with_vector(query, query_vector, k, candidates=candidates)

    def search_with_vector(
        self, query: str, query_vector: np.ndarray, k: int = 8, *, candidates: int = 50
    ) -> list[Hit]:
        depth = max(candidates, k)
        dense_ids, dense_scores = self._dense_index().search(query_vector, depth)
        bm25, bm25_ids = self._bm25_index()
        rows, _ = bm25.top_k(query, depth)
        return hits_from_rankings(
            dense_ids, dense_scores, bm25_ids[rows], k, self.store.chunks_by_ids
        )

    def _dense_index(self, *, writing: bool = False) -> VectorIndex:
        """The vector index of the last commit (another process's commits included).

        A saved index is used only if it is the one of the current commit and holds as many
        vectors as SQLite has chunks; otherwise it is rebuilt from SQLite. While another
        process is writing (and has not saved its index yet), a reader keeps the index it has
        rather than rebuilding after every batch that writer commits; a writer (`writing`,
        holding the write lock) always starts from the index of the last commit.
        """
        with self._lock:
            generation = self.store.generation()
            if self._dense is not None and self._dense_generation == generation:
                return self._dense
            dense = self.index_type.load(self.folder, generation, self.embedder.dim)
            if dense is not None and dense.size != self.store.count_chunks():
                log.warning("vector index of %s does not match the library: rebuilt", self.folder)
                dense = None
            if dense is None:
                if self._dense is not None and not writing and self.store.writer_active():
                    return self._dense
                dense = self._build_dense()
                self._save_dense(dense, generation)
                self._record_manifest(dense)
            self._dense, self._dense_generation = dense, generation
            return self._dense

    def _save_dense(self, dense: VectorIndex, generation: int) -> None:
        """Save the index, a cache of SQLite: if that fails (disk full, read-only), say so and
        go on; the next opening rebuilds it from SQLite."""
        if self.store.read_only:
            return
        try:
            dense.save(self.folder, generation)
        except OSError as exc:
            log.warning(
                "The vector index of %s could not be saved (%s); it is rebuilt from the library "
                "when next opened.",
                self.folder,
                exc.strerror or exc,
            )

    def _build_dense(self) -> VectorIndex:
        ids, vectors = self.store.all_vectors(self.embedder.dim)
        return self.index_type.build(self.embedder.dim, ids, vectors)

    def _bm25_index(self) -> tuple[Bm25Index, np.ndarray]:
        with self._lock:
            generation = self.store.generation()
            if self._bm25 is None or self._bm25[0] != generation:
                ids, texts = self.store.all_chunk_texts()
                self._bm25 = (generation, Bm25Index(texts), ids)
            return self._bm25[1], self._bm25[2]

    # -- writing ------------------------------------------------------------------------
    @contextlib.contextmanager
    def _writing(self):
        """One writer at a time across processes (see Store.write_lock), starting from the
        vector index of the last commit, whoever made it."""
        with self.store.write_lock(on_wait=self.on_lock_wait):
            self._dense_index(writing=True)
            yield

    def ingest(
        self,
        paths: list[Path],
        *,
        progress: IngestProgressFn | None = None,
        cancel: threading.Event | None = None,
    ) -> IngestReport:
        """Add or update files and folders; bad files are reported, the rest go in."""
        with self._writing():
            return self._ingest(paths, progress, cancel)

    def _ingest(
        self, paths: list[Path], progress: IngestProgressFn | None, cancel: threading.Event | None
    ) -> IngestReport:
        files, skipped, failed = iter_input_files([Path(p) for p in paths])
        report = IngestReport(failed=failed, skipped=skipped)
        known_files = self.store.known_files()
        sidecars: dict[Path, dict] = {}
        pending: dict[str, str] = {}  # content hash -> resolved path, for this run's files
        copies: list[str] = []  # paths of this run's files that a later file repeats exactly
        batch: list[_Prepared] = []
        batch_chunks = 0
        done = skipped_files = 0
        embedded = False

        def tick(current: str | None) -> None:
            if progress:
                progress(
                    IngestProgress(
                        files_done=done,
                        files_total=len(files),
                        chunks_done=report.chunks_added,
                        current=current,
                        files_skipped=skipped_files,
                    )
                )

        # Reading, parsing and chunking run in a second thread, up to PREPARE_AHEAD files
        # ahead, while this thread embeds and commits: the embedder does not wait for the
        # parsers (the OpenVINO and torch calls release the GIL).
        items: queue.Queue = queue.Queue(maxsize=PREPARE_AHEAD)
        stop = threading.Event()

        def produce() -> None:
            try:
                for path in files:
                    if stop.is_set() or (cancel is not None and cancel.is_set()):
                        break
                    item = self._prepare(path, report, sidecars, pending, copies, known_files)
                    if isinstance(item, _Prepared):
                        pending[item.content_hash] = item.path
                    items.put((path, item))
            except BaseException as exc:  # handed to the committing thread
                items.put((None, exc))
            finally:
                items.put((None, _END))

        producer = threading.Thread(target=produce, name="dossier-ingest-prepare", daemon=True)
        tick(None)
        producer.start()
        try:
            while True:
                path, item = items.get()
                if item is _END:
                    break
                if isinstance(item, BaseException):
                    raise item
                if cancel is not None and cancel.is_set():
                    break  # reported as cancelled below: this file was not counted
                if isinstance(item, _Prepared):
                    batch.append(item)
                    batch_chunks += len(item.spans)
                elif item == _SKIPPED:
                    skipped_files += 1
                if batch_chunks >= EMBED_BATCH_CHUNKS:
                    self._commit(batch, report)
                    embedded = True
                    batch, batch_chunks = [], 0
                done += 1
                tick(str(path))
            if cancel is not None and cancel.is_set() and done < len(files):
                report.cancelled = True
            if batch:  # what was prepared before a cancel goes in too
                self._commit(batch, report)
                embedded = True
        finally:
            stop.set()
            while producer.is_alive():  # unblock a producer waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.05)
            producer.join()
        # A file identical to an earlier file of this run is reported as that file's source.
        report.unchanged += [known[0] for known in map(self.store.source_by_path, copies) if known]
        self._refresh_indexes()
        self._record_manifest(self._dense, embedded=embedded)
        tick(None)
        return report

    def _prepare(
        self,
        path: Path,
        report: IngestReport,
        sidecars: dict,
        pending: dict[str, str],
        copies: list[str],
        known_files: dict[str, tuple[str, int | None, int | None]],
    ) -> _Prepared | str | None:
        """The file read, parsed and chunked; `_SKIPPED` if the library has it; None if bad."""
        resolved = str(path.resolve())
        try:
            stat = path.stat()
            stored = known_files.get(resolved)
            if stored and (stored[1], stored[2]) == (stat.st_size, stat.st_mtime_ns):
                report.unchanged.append(stored[0])  # same path, size and time: not read again
                return _SKIPPED
            # Size checked before reading, the read bounded, a special file never waited on.
            data, stat = read_limited(path)
        except OSError as exc:
            report.failed.append(
                FileError(path=str(path), reason=f"cannot read file ({exc.strerror})")
            )
            return None
        except LoadError as exc:
            report.failed.append(FileError(path=str(path), reason=str(exc)))
            return None
        content_hash = hashlib.sha256(data).hexdigest()
        known = self.store.source_by_path(resolved)
        if known and known[1] == content_hash:
            report.unchanged.append(known[0])
            self.store.set_file_stat(known[0], stat.st_size, stat.st_mtime_ns)
            return _SKIPPED
        duplicate = self.store.source_by_hash(content_hash)
        if duplicate and not known:
            report.unchanged.append(duplicate)  # same bytes already in the library
            return _SKIPPED
        if content_hash in pending and not known:
            copies.append(pending[content_hash])
            return None
        try:
            document = load_document(path, data)
        except LoadError as exc:
            report.failed.append(FileError(path=str(path), reason=str(exc)))
            return None
        except Exception as exc:  # a parser bug must not stop the batch
            report.failed.append(
                FileError(path=str(path), reason=f"cannot be parsed ({type(exc).__name__}: {exc})")
            )
            return None
        text = document.text
        meta, spans = _chunk(text)
        meta = apply_sidecar(merge_metadata(document.meta, meta), path, sidecars, report)
        if not spans:
            report.failed.append(
                FileError(path=str(path), reason="no article text left after removing boilerplate")
            )
            return None
        return _Prepared(
            path=resolved,
            content_hash=content_hash,
            text=text,
            meta=meta,
            spans=spans,
            size=stat.st_size,
            mtime_ns=stat.st_mtime_ns,
        )

    def _commit(self, batch: list[_Prepared], report: IngestReport) -> None:
        texts = [p.text[a:b] for p in batch for a, b in p.spans]
        vectors = self.embedder.embed(texts)
        added_ids: list[int] = []
        added_vectors: list[np.ndarray] = []
        removed_ids: list[int] = []
        offset = 0
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self.store.transaction() as db:
            for prepared in batch:
                known = self.store.source_by_path(prepared.path)
                source_id = known[0] if known else self._new_id(Path(prepared.path))
                removed_ids += self.store.write_source(db, source_id, prepared, added_at=now)
                n = len(prepared.spans)
                own_vectors = vectors[offset : offset + n]
                offset += n
                spans = [(a, b, prepared.text[a:b]) for a, b in prepared.spans]
                added_ids += Store.insert_chunks(db, source_id, spans, own_vectors)
                added_vectors.append(own_vectors)
                (report.replaced if known else report.added).append(source_id)
                report.chunks_added += n
        with self._lock:  # under the write lock: this commit is the only one since the last
            self._dense.remove(removed_ids)
            self._dense.add(np.asarray(added_ids, np.int64), np.concatenate(added_vectors))
            self._dense_generation = self.store.generation()

    def _new_id(self, path: Path) -> str:
        """File name without extension; on a clash with another file, `-2`, `-3`, ... keep both."""
        base = path.stem
        candidate, n = base, 1
        while self.store.id_taken(candidate):
            n += 1
            candidate = f"{base}-{n}"
        return candidate

    def _refresh_indexes(self) -> None:
        """After a write, in the writing thread: save the vector index for the new generation,
        and rebuild a BM25 index that searches use, so the next search does not wait for it."""
        with self._lock:
            if self._dense is not None:
                if self._dense.needs_rebuild:  # many HNSW tombstones: rebuild from SQLite
                    self._dense = self._build_dense()
                self._save_dense(self._dense, self._dense_generation)
            if self._bm25 is not None:
                self._bm25_index()

    def remove(self, source_id: str) -> bool:
        """Delete a source, its chunks and its vectors. False when no such source."""
        if not self.store.id_taken(source_id):
            return False
        with self._writing():
            with self.store.transaction() as db:
                ids = self.store.delete_source(db, source_id)
            with self._lock:
                self._dense.remove(ids)
                self._dense_generation = self.store.generation()
            self._refresh_indexes()
            self._record_manifest(self._dense)
        return True

    def close(self) -> None:
        self.store.close()


def rebuild(
    folder: Path,
    *,
    embedder: Embedder,
    progress: IngestProgressFn | None = None,
    on_lock_wait: Callable[[str], None] | None = None,
) -> IngestReport:
    """Re-chunk and re-embed every stored source with this Dossier's chunker and embedder.

    The stored original texts and metadata are kept; all chunks and vectors are replaced in one
    transaction, then the manifest is rewritten, so an interrupted rebuild changes nothing.
    """
    library = Library(folder, embedder=embedder, check_manifest=False)
    try:
        with library.store.write_lock(on_wait=on_lock_wait):
            return _rebuild_locked(library, progress)
    finally:
        library.close()


def _rebuild_locked(library: Library, progress: IngestProgressFn | None) -> IngestReport:
    """`rebuild` once the write lock is held (the index of the old vectors is never loaded:
    their dimension may differ)."""
    report = IngestReport()
    stored = library.store.all_source_texts()
    planned: list[tuple[str, list[tuple[int, int]], np.ndarray]] = []
    for done, (source_id, text, _meta) in enumerate(stored, start=1):
        _, spans = _chunk(text)
        vectors = library.embedder.embed([text[a:b] for a, b in spans])
        planned.append((source_id, spans, vectors))
        report.chunks_added += len(spans)
        if progress:
            progress(
                IngestProgress(
                    files_done=done,
                    files_total=len(stored),
                    chunks_done=report.chunks_added,
                    current=source_id,
                )
            )
    texts = {source_id: text for source_id, text, _ in stored}
    with library.store.transaction() as db:
        Store.delete_all_chunks(db)
        for source_id, spans, vectors in planned:
            rows = [(a, b, texts[source_id][a:b]) for a, b in spans]
            Store.insert_chunks(db, source_id, rows, vectors)
            report.replaced.append(source_id)
    library.store.rewrite_manifest(library._manifest())
    library._record_manifest(embedded=True)  # every vector now comes from this backend
    library._dense = None
    library._dense_index(writing=True)  # writes the FAISS file for the new generation
    return report


def _chunk(text: str) -> tuple[SourceMeta, list[tuple[int, int]]]:
    """Metadata found in `text` and the spans of its chunks (boilerplate lines left out)."""
    sentences = sentence_spans(text)
    meta, excluded = extract_metadata(text, sentences)
    return meta, [(c.start, c.end) for c in chunk_spans(text, sentences, excluded)]
