// Consistency through `gfs mount` (docs/mount.md): what `gfs cp` writes the mount shows and the
// reverse; between two mounts of one cluster, close-to-open holds both ways (including after a
// stat that cached the old size, and after a truncate that released the old chunks); O_APPEND
// from two mounts at once loses nothing; fsync succeeds.

import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seededBytes, sha256 } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { sh, shOk, stopAllMounts, TestMount } from '../harness/mount.js';

let cluster: TestCluster;
let a: TestMount;
let b: TestMount;
let scratch: string;

beforeAll(async () => {
  cluster = await TestCluster.start();
  a = await TestMount.start(cluster);
  b = await TestMount.start(cluster);
  scratch = await mkdtemp(join(tmpdir(), 'gfs-mount-consistency-'));
});

afterAll(async () => {
  await stopAllMounts();
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('consistency through the mount', () => {
  it('a file written with gfs cp shows in the mount, and one written in the mount with gfs cat', async () => {
    const viaCli = seededBytes(3 * 1024 * 1024 + 17, 21);
    await writeFile(join(scratch, 'cli.bin'), viaCli);
    expect((await cluster.gfs(['cp', join(scratch, 'cli.bin'), 'gfs:/cli.bin'])).code).toBe(0);
    expect(sha256(await readFile(join(a.dir, 'cli.bin')))).toBe(sha256(viaCli));

    const viaMount = seededBytes(2 * 1024 * 1024 + 5, 22);
    await writeFile(join(scratch, 'mount.bin'), viaMount);
    await shOk(`cp "${scratch}/mount.bin" "${a.dir}/mount.bin"`);
    const cat = await cluster.gfs(['cat', 'gfs:/mount.bin']);
    expect(cat.code).toBe(0);
    expect(sha256(cat.stdout)).toBe(sha256(viaMount));
    const ls = await cluster.gfs(['ls', '-l', 'gfs:/mount.bin']);
    expect(ls.stdout.toString()).toContain(` ${viaMount.byteLength} `);
  });

  it('close-to-open between two mounts, both ways, whatever was cached before', async () => {
    for (let round = 0; round < 5; round++) {
      const [writer, reader] = round % 2 === 0 ? [a, b] : [b, a];
      // The reader looks at the file first, so its caches hold the old size and chunks.
      await shOk(`echo "short ${round}" > "${writer.dir}/shared"`);
      expect((await shOk(`cat "${reader.dir}/shared"`)).trim()).toBe(`short ${round}`);
      await shOk(`ls -l "${reader.dir}/shared" > /dev/null`);
      // A longer content (the size grows), then a shorter one (truncate releases the chunk).
      await shOk(`echo "a longer line, round ${round}" > "${writer.dir}/shared"`);
      expect((await shOk(`cat "${reader.dir}/shared"`)).trim()).toBe(`a longer line, round ${round}`);
      await shOk(`stat "${reader.dir}/shared" > /dev/null; echo "s${round}" > "${writer.dir}/shared"`);
      expect((await shOk(`cat "${reader.dir}/shared"`)).trim()).toBe(`s${round}`);
      // Same size, other bytes: only the mtime tells the reader's page cache it is stale.
      await shOk(`printf 'AAAA' > "${writer.dir}/same-size"`);
      expect(await shOk(`cat "${reader.dir}/same-size"`)).toBe('AAAA');
      await shOk(`printf 'BBBB' | dd of="${writer.dir}/same-size" conv=notrunc status=none`);
      expect(await shOk(`cat "${reader.dir}/same-size"`)).toBe('BBBB');
    }
  });

  it('a large file rewritten on one mount reads back whole on the other', async () => {
    const first = seededBytes(5 * 1024 * 1024, 31);
    const second = seededBytes(4 * 1024 * 1024 + 333, 32);
    await writeFile(join(scratch, 'first.bin'), first);
    await writeFile(join(scratch, 'second.bin'), second);
    await shOk(`cp "${scratch}/first.bin" "${a.dir}/big"`);
    expect(sha256(await readFile(join(b.dir, 'big')))).toBe(sha256(first));
    await shOk(`cp "${scratch}/second.bin" "${a.dir}/big"`);
    expect(sha256(await readFile(join(b.dir, 'big')))).toBe(sha256(second));
  });

  it('scattered 4 KiB writes: after fsync (still open) the other mount and gfs cat read them all', async () => {
    // Half of the 4 KiB blocks of a 6 MiB file (1 MiB chunks), in random order, and its last block.
    const script = `
import hashlib, os, random, sys
path, other = sys.argv[1], sys.argv[2]
rng = random.Random(7)
count = 6 * 256 + 1
blocks = list(range(count - 1))
rng.shuffle(blocks)
model = bytearray(count * 4096)
fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
for block in blocks[: len(blocks) // 2] + [count - 1]:
    data = rng.randbytes(4096)
    os.pwrite(fd, data, block * 4096)
    model[block * 4096 : (block + 1) * 4096] = data
os.fsync(fd)
with open(other, 'rb') as f:
    seen = f.read()
print(hashlib.sha256(bytes(model)).hexdigest(), hashlib.sha256(seen).hexdigest())
os.close(fd)
`;
    await writeFile(join(scratch, 'scatter.py'), script);
    const [written, seenOnB] = (await shOk(`python3 "${scratch}/scatter.py" "${a.dir}/scatter" "${b.dir}/scatter"`))
      .trim()
      .split(' ');
    expect(seenOnB).toBe(written);
    const cat = await cluster.gfs(['cat', 'gfs:/scatter']);
    expect(sha256(cat.stdout)).toBe(written);
  });

  it('O_APPEND from two mounts at once: every line lands whole, none is lost', async () => {
    const lines = 200;
    const appender = (dir: string, tag: string) =>
      `for i in $(seq 1 ${lines}); do echo "${tag}-$i-$(printf '%040d' $i)" >> "${dir}/log"; done`;
    await shOk(`(${appender(a.dir, 'a')}) & (${appender(b.dir, 'b')}) & wait`, { timeoutMs: 300_000 });
    for (const dir of [a.dir, b.dir]) {
      const text = await readFile(join(dir, 'log'), 'utf8');
      const got = text.split('\n').filter((line) => line !== '');
      expect(got).toHaveLength(2 * lines);
      for (const tag of ['a', 'b']) {
        const mine = got.filter((line) => line.startsWith(`${tag}-`));
        // Each mount's lines arrive in the order it wrote them.
        expect(mine).toEqual(
          Array.from({ length: lines }, (_, i) => `${tag}-${i + 1}-${String(i + 1).padStart(40, '0')}`),
        );
      }
    }
  });

  it('fsync and fdatasync succeed (the data is synced on every replica); sync FILE after cp too', async () => {
    await shOk(`dd if=/dev/zero of="${a.dir}/synced" bs=64k count=20 conv=fsync status=none`);
    await shOk(`dd if=/dev/zero of="${a.dir}/synced" bs=64k count=20 conv=fdatasync status=none`);
    await shOk(`cp "${a.dir}/synced" "${a.dir}/copied" && sync "${a.dir}/copied"`);
    expect((await sh(`cmp "${a.dir}/synced" "${b.dir}/copied"`)).code).toBe(0);
  });
});
