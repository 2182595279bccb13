// The SDK's retry loop logs every retry at debug with its attempt number, the error's code and
// what is retried; the RPC client logs each failed call once at debug with route, peer, code and
// duration. Both write to a real pino logger whose lines are captured.

import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { withRetries } from '../../../client/sdk/retry.js';
import { GfsError } from '../../../shared/errors.js';
import { RpcClient } from '../../../shared/http/client.js';
import { statusRoute } from '../../../shared/protocol/heartbeat.js';
import { freePort } from '../../harness/free-port.js';

function capturingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, sink), lines };
}

describe('retry and RPC failure logs', () => {
  it('logs each retry at debug with its attempt number', async () => {
    const { logger, lines } = capturingLogger();
    let calls = 0;
    const result = await withRetries(
      async () => {
        calls++;
        if (calls < 3) throw new GfsError('UNAVAILABLE', 'replica down', '127.0.0.1:1');
        return 'ok';
      },
      { logger, what: 'write of chunk 0 of /a', sleep: async () => undefined },
    );
    expect(result).toBe('ok');
    expect(lines.map((line) => [line.level, line.attempt, line.code, line.subject])).toEqual([
      [20, 1, 'UNAVAILABLE', '127.0.0.1:1'],
      [20, 2, 'UNAVAILABLE', '127.0.0.1:1'],
    ]);
    expect(String(lines[0]?.msg)).toContain('write of chunk 0 of /a');
  });

  it('logs a failed call once at debug with its route, peer, code and duration', async () => {
    const { logger, lines } = capturingLogger();
    const rpc = new RpcClient({ logger, timeoutMs: 2_000 });
    const address = `127.0.0.1:${await freePort()}`;
    try {
      await expect(rpc.call(address, statusRoute, {})).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    } finally {
      await rpc.close();
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 20,
      route: statusRoute.url,
      method: statusRoute.method,
      peer: address,
      code: 'UNAVAILABLE',
    });
    expect(typeof lines[0]?.durationMs).toBe('number');
  });
});
