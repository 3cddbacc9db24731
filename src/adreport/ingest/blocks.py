"""Reading CSV exports a block at a time, in C, with the row reader's exact results.

Python's csv module and the per-row checks after it cost about ten microseconds a
row; pyarrow's CSV reader parses the same text in blocks for a small part of that.
The two split text into records the same way (quoted cells, doubled quotes, a stray
quote inside an unquoted cell kept as text), so every row, its line number, and
every row of the wrong width come out as the row reader gives them. Rows pyarrow
sets aside (a different width) and rows whose first cell does not plainly start
with text go through the same per-row decision as before (blank, skipped, where
the table stops). What this reader cannot vouch for it leaves to the row reader,
from the first record it cannot vouch for: workbooks, encodings other than UTF-8,
a header that spans lines, a line break inside a quoted cell (pyarrow can drop the
LF of a CR LF there when a block ends between them), a quote left open at the end
of the file, a row longer than a block.
"""

from __future__ import annotations

import csv
import io
import logging
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from itertools import islice

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from adreport.ingest.batch import Batch, BatchParser
from adreport.ingest.detect import Located
from adreport.ingest.reading import TextFile, iter_records

log = logging.getLogger(__name__)

KEEP, SKIP, STOP = "keep", "skip", "stop"
Fate = Callable[[list[str]], str]  # what becomes of a record: KEEP, SKIP or STOP
Record = tuple[int, list[str]]  # (line, cells), as the row reader yields them
# Kept rows and records in file order; returns STOP where the table ends.
Pieces = Generator["Rows | Record", None, str | None]

ENCODINGS = ("utf-8", "utf-8-sig")
BLOCK_BYTES = 1 << 20  # pyarrow keeps a few dozen blocks read ahead
# str.strip() removes these; a first cell starting with none of them, nor with "-",
# is the row's label as it stands.
WHITESPACE = "".join(c for c in map(chr, range(0x3001)) if c.isspace())
PLAIN_START = "^[^-" + "".join(f"\\x{{{ord(c):x}}}" for c in WHITESPACE) + "]"


@dataclass
class Rows:
    """Kept rows of the right width, as columns of the mapped fields."""

    columns: dict[str, pa.Array]
    lines: pa.Array


class LeftToRowReaderError(Exception):
    """The rest of the file must be read record by record, from `line` on."""

    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


def block_batches(
    text_file: TextFile,
    located: Located,
    parser: BatchParser,
    fate: Fate,
    batch_rows: int,
    block_bytes: int = BLOCK_BYTES,
) -> Iterator[Batch] | None:
    """Batches exactly as the row reader makes them, or None if it must do it."""
    if text_file.sheet is not None or text_file.encoding not in ENCODINGS:
        return None
    if len(located.delimiter) != 1 or located.delimiter in '"\r\n':
        return None
    first_line = located.header_line + 1
    offset = _data_offset(text_file, located.delimiter, first_line)
    if offset is None:
        return None
    reading = _BlockReading(text_file, located, parser, fate, offset, block_bytes)
    return _batched(parser, _pieces(reading), batch_rows)


def _data_offset(text_file: TextFile, delimiter: str, first_line: int) -> int | None:
    """Byte offset of line `first_line`, if a record starts there."""
    with text_file.path.open(encoding=text_file.encoding, newline="") as handle:
        reader = csv.reader(handle, delimiter=delimiter)
        while reader.line_num < first_line - 1:
            if next(reader, None) is None:
                return None
        if reader.line_num != first_line - 1:
            return None
    with text_file.path.open("rb") as handle:
        head = handle.read(BLOCK_BYTES)
    offset: int | None = 0
    for _ in range(first_line - 1):
        offset = _after_line_end(head, offset) if offset is not None else None
    return offset


def _after_line_end(text: bytes, start: int) -> int | None:
    ends = [i for i in (text.find(b"\n", start), text.find(b"\r", start)) if i >= 0]
    if not ends:
        return None
    end = min(ends)
    if text[end : end + 2] == b"\r\n":
        return end + 2
    return end + 1 if end + 1 < len(text) else None


# ---- records, as pyarrow finds them -------------------------------------------


def _pieces(reading: _BlockReading) -> Iterator[Rows | Record]:
    """Kept rows and records in file order, up to where the table stops."""
    try:
        yield from reading.pieces()
    except LeftToRowReaderError as handover:
        path = reading.text_file.path
        log.info("%s: reading on from line %d row by row", path, handover.line)
        records = iter_records(reading.text_file, reading.delimiter, handover.line)
        for line, cells in records:
            verdict = reading.fate(cells)
            if verdict == STOP:
                return
            if verdict == KEEP:
                yield line, cells


class _BlockReading:
    """One pass of pyarrow's reader over the data rows of a file."""

    def __init__(
        self,
        text_file: TextFile,
        located: Located,
        parser: BatchParser,
        fate: Fate,
        offset: int,
        block_bytes: int,
    ):
        self.text_file = text_file
        self.block_bytes = block_bytes
        self.delimiter = located.delimiter
        self.width = len(located.headers)
        self.fields = {name: position for name, (position, _) in parser.index.items()}
        fmt = located.fmt
        self.prefixes = (*fmt.stop_at_rows_starting, *fmt.skip_rows_starting)
        self.fate = fate
        self.offset = offset
        self.line = located.header_line + 1  # where the next record starts
        self.record = 1  # pyarrow's number of the next record
        self.set_aside: list[tuple[int | None, str]] = []  # (record number, text)
        self.extra = self._trailing_separator()

    def _trailing_separator(self) -> int:
        """1 when rows end with a separator the header does not have."""
        first = next(iter_records(self.text_file, self.delimiter, self.line), None)
        if first is None:
            return 0
        cells = first[1]
        return int(len(cells) == self.width + 1 and cells[-1] == "")

    def pieces(self) -> Iterator[Rows | Record]:
        try:
            for block in _read_ahead(self._blocks()):
                if (yield from self._block(block)) == STOP:
                    return
        except pa.ArrowInvalid as exc:
            log.info("%s: %s", self.text_file.path, exc)
            raise LeftToRowReaderError(self.line) from exc
        while self.set_aside:
            if (yield from self._set_aside_record()) == STOP:
                return

    def _blocks(self) -> Iterator[pa.RecordBatch]:
        names = [f"c{i}" for i in range(self.width + self.extra)]
        stream = pa.OSFile(str(self.text_file.path))
        stream.seek(self.offset)
        reader = pcsv.open_csv(
            stream,
            read_options=pcsv.ReadOptions(
                column_names=names, use_threads=False, block_size=self.block_bytes
            ),
            parse_options=pcsv.ParseOptions(
                delimiter=self.delimiter,
                quote_char='"',
                double_quote=True,
                escape_char=False,
                newlines_in_values=True,
                ignore_empty_lines=False,
                invalid_row_handler=self._set_aside,
            ),
            convert_options=pcsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        with stream:
            yield from reader

    def _set_aside(self, row: pcsv.InvalidRow) -> str:
        self.set_aside.append((row.number, row.text))
        return "skip"

    def _block(self, block: pa.RecordBatch) -> Pieces:
        """The block's rows, with the set-aside records that come among them."""
        if any(_has_line_break(column) for column in block.columns):
            raise LeftToRowReaderError(self.line)
        done = 0
        while done < block.num_rows:
            if self.set_aside and self.set_aside[0][0] == self.record:
                if (yield from self._set_aside_record()) == STOP:
                    return STOP
                continue
            count = block.num_rows - done
            if self.set_aside:
                count = min(count, self._next_set_aside() - self.record)
            if (yield from self._rows(block.slice(done, count))) == STOP:
                return STOP
            done += count
        return None

    def _next_set_aside(self) -> int:
        number = self.set_aside[0][0]
        if number is None or number < self.record:
            raise LeftToRowReaderError(self.line)
        return int(number)

    def _set_aside_record(self) -> Pieces:
        if self._next_set_aside() != self.record:
            raise LeftToRowReaderError(self.line)
        _, text = self.set_aside.pop(0)
        cells = _one_record(text, self.delimiter)
        if cells is None or "\n" in text or "\r" in text:
            raise LeftToRowReaderError(self.line)
        line = self.line
        self.line += 1
        self.record += 1
        verdict = self.fate(cells)
        if verdict == KEEP:
            yield line, cells
        return verdict

    def _rows(self, part: pa.RecordBatch) -> Pieces:
        """Rows of the right width: kept as columns unless a row needs a closer look."""
        lines = pa.array(range(self.line, self.line + part.num_rows), pa.int64())
        self.line += part.num_rows
        self.record += part.num_rows
        plain = self._plain(part)
        if pc.all(plain).as_py():
            yield self._kept(part, lines, None)
            return None
        return (yield from self._closer_look(part, lines, plain))

    def _plain(self, part: pa.RecordBatch) -> pa.Array:
        """Rows kept by their first cell alone (and of the header's width)."""
        first = part.column(0)
        plain = pc.fill_null(pc.match_substring_regex(first, PLAIN_START), False)
        for prefix in self.prefixes:
            plain = pc.and_(plain, pc.invert(pc.starts_with(first, prefix)))
        if self.extra:
            plain = pc.and_(plain, pc.equal(part.column(self.width), ""))
        return plain

    def _closer_look(
        self, part: pa.RecordBatch, lines: pa.Array, plain: pa.Array
    ) -> Pieces:
        keep = plain.to_pylist()
        odd = pc.indices_nonzero(pc.invert(plain))
        cells = zip(
            *(column.take(odd).to_pylist() for column in part.columns), strict=True
        )
        start, verdict = 0, KEEP
        for position, row in zip(odd.to_pylist(), cells, strict=True):
            verdict = self.fate(list(row))
            if verdict == STOP:
                keep = keep[:position]
                break
            if verdict == SKIP:
                continue
            if not self.extra or row[-1] == "":
                keep[position] = True
                continue
            yield self._kept(part.slice(start, position - start), lines, keep, start)
            yield lines[position].as_py(), list(row)
            start = position + 1
        if start < len(keep):
            yield self._kept(part.slice(start, len(keep) - start), lines, keep, start)
        return STOP if verdict == STOP else None

    def _kept(
        self,
        part: pa.RecordBatch,
        lines: pa.Array,
        keep: list[bool] | None,
        start: int = 0,
    ) -> Rows:
        columns = {
            name: part.column(position) for name, position in self.fields.items()
        }
        lines = lines.slice(start, part.num_rows)
        if keep is None:
            return Rows(columns, lines)
        mask = pa.array(keep[start : start + part.num_rows], pa.bool_())
        return Rows(
            {name: column.filter(mask) for name, column in columns.items()},
            lines.filter(mask),
        )


def _read_ahead(blocks: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
    """The blocks, the next one parsed in another thread while this one is used.

    pyarrow parses without holding Python's lock, so on two cores reading costs
    almost no wall-clock time. The reading stops when the consumer does.
    """
    ready: queue.Queue[pa.RecordBatch | BaseException | None] = queue.Queue(2)
    stopped = threading.Event()

    def hand_over(item: pa.RecordBatch | BaseException | None) -> bool:
        while not stopped.is_set():
            try:
                ready.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for block in blocks:
                if not hand_over(block):
                    return
            hand_over(None)
        except BaseException as exc:  # raised again in the consumer
            hand_over(exc)

    reader = threading.Thread(target=read, name="csv-blocks", daemon=True)
    reader.start()
    try:
        while (item := ready.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            yield item
    finally:
        stopped.set()
        reader.join()


def _has_line_break(column: pa.Array) -> bool:
    data = column.buffers()[2]
    if data is None:
        return False
    text = memoryview(data).tobytes()
    return b"\n" in text or b"\r" in text


def _one_record(text: str, delimiter: str) -> list[str] | None:
    """The cells of a record's text, or None if it is not exactly one whole record."""
    try:
        records = list(
            islice(
                csv.reader(
                    io.StringIO(text, newline=""), delimiter=delimiter, strict=True
                ),
                2,
            )
        )
    except csv.Error:
        return None
    return records[0] if len(records) == 1 else None


# ---- batches of exactly `size` records, as the row reader cuts them ------------


def _batched(
    parser: BatchParser, pieces: Iterator[Rows | Record], size: int
) -> Iterator[Batch]:
    pending: list[Rows | Record] = []
    count = 0
    for piece in pieces:
        while isinstance(piece, Rows) and count + len(piece.lines) > size:
            room = size - count
            pending.append(_slice(piece, 0, room))
            yield _batch(parser, pending)
            pending, count = [], 0
            piece = _slice(piece, room, len(piece.lines) - room)
        pending.append(piece)
        count += len(piece.lines) if isinstance(piece, Rows) else 1
        if count >= size:
            yield _batch(parser, pending)
            pending, count = [], 0
    if count:
        yield _batch(parser, pending)


def _slice(rows: Rows, start: int, length: int) -> Rows:
    return Rows(
        {name: column.slice(start, length) for name, column in rows.columns.items()},
        rows.lines.slice(start, length),
    )


def _batch(parser: BatchParser, pending: list[Rows | Record]) -> Batch:
    """One batch; records handed over row by row are judged as the row reader does."""
    rows = [p for p in pending if isinstance(p, Rows) and len(p.lines)]
    records = [p for p in pending if not isinstance(p, Rows)]
    problems = []
    if records:
        judged = parser.raw(records)
        problems = judged.problems
        rows.append(Rows(judged.columns, judged.lines))
    names = list(parser.index)
    if not rows:
        empty = {name: pa.array([], pa.string()) for name in names}
        return Batch(empty, pa.array([], pa.int64()), problems)
    columns = {name: _concat([r.columns[name] for r in rows]) for name in names}
    lines = _concat([r.lines for r in rows])
    if records:
        order = pc.sort_indices(lines)
        columns = {name: column.take(order) for name, column in columns.items()}
        lines = lines.take(order)
    return Batch(columns, lines, problems)


def _concat(arrays: list[pa.Array]) -> pa.Array:
    return arrays[0] if len(arrays) == 1 else pa.concat_arrays(arrays)
