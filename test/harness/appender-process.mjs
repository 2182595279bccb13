// One appending process of the record-append tests: appends `count` records of random size
// (100 B – 64 KiB) to one file through the SDK, `inFlight` at a time, and prints one JSON line
// per acknowledged record: { i, offset, size, sha } (size and sha256 of the payload).
// Usage: node appender-process.mjs <master> <path> <name> <count> [inFlight]

import { createHash, randomBytes, randomInt } from 'node:crypto';
import { GfsClient } from '../../dist/index.js';

const [master, path, name, countText, inFlightText] = process.argv.slice(2);
const count = Number(countText);
const inFlight = Number(inFlightText ?? 16);
const client = new GfsClient({ master });

function payloadOf(i) {
  const tag = Buffer.from(`${name}:${i}:`);
  const size = randomInt(100, 64 * 1024 + 1);
  return Buffer.concat([tag, randomBytes(size - tag.length)]);
}

async function appendOne(i) {
  const payload = payloadOf(i);
  const { offset } = await client.recordAppend(path, payload);
  const sha = createHash('sha256').update(payload).digest('hex');
  process.stdout.write(`${JSON.stringify({ i, offset, size: payload.length, sha })}\n`);
}

let next = 0;
async function lane() {
  while (next < count) await appendOne(next++);
}

try {
  await Promise.all(Array.from({ length: inFlight }, lane));
  await client.close();
} catch (error) {
  process.stderr.write(`appender ${name}: ${error.code ?? ''} ${error.message}\n`);
  process.exit(1);
}
