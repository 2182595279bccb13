// The peer a failure is logged with: node drops a request's socket (null) once the connection is
// torn down, and logging a failed request that closed after its client left must not throw (it
// took a chunkserver down, found by the route fuzzer).

import { describe, expect, it } from 'vitest';
import { peerOf } from '../../../shared/http/failure-log.js';

describe('peerOf', () => {
  it('names host:port, and "-" for a socket that is gone or never had an address', () => {
    expect(peerOf({ remoteAddress: '127.0.0.1', remotePort: 5000 })).toBe('127.0.0.1:5000');
    expect(peerOf({ remoteAddress: undefined })).toBe('-');
    expect(peerOf(null)).toBe('-');
    expect(peerOf(undefined)).toBe('-');
  });
});
