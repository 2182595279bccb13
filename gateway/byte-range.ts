// The one byte range a GET may ask for (RFC 9110 §14): `bytes=a-b`, `bytes=a-`, `bytes=-n`.
// Several ranges in one header (multipart/byteranges) are not served: the whole file is sent
// instead, which the RFC allows a server to do. Pure, so every shape is unit tested.

/** Inclusive byte positions, as in a Content-Range header and `createReadStream`'s start/end. */
export interface ByteRange {
  start: number;
  end: number;
}

export type RangeAnswer =
  /** No Range header, or one this server ignores: send the whole file with 200. */
  | { kind: 'whole' }
  /** Send these bytes with 206 and Content-Range. */
  | { kind: 'partial'; range: ByteRange }
  /** 416 with `Content-Range: bytes *\/size`. */
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/;

export function parseRange(header: string | undefined, sizeBytes: number): RangeAnswer {
  if (header === undefined) return { kind: 'whole' };
  const match = SINGLE_RANGE.exec(header.trim());
  // Another unit, a list of ranges or a malformed header: ignored (RFC 9110 §14.2).
  if (match === null) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // A suffix: the last n bytes (all of a shorter file); the last 0 bytes of anything is nothing.
    const length = Number(last);
    if (length === 0 || sizeBytes === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', range: { start: Math.max(0, sizeBytes - length), end: sizeBytes - 1 } };
  }
  const start = Number(first);
  const end = last === '' ? sizeBytes - 1 : Math.min(Number(last), sizeBytes - 1);
  if (!Number.isSafeInteger(start) || (last !== '' && Number(last) < start)) return { kind: 'whole' };
  if (start >= sizeBytes) return { kind: 'unsatisfiable' };
  return { kind: 'partial', range: { start, end } };
}
