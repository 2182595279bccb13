// The gateway's dashboard in a real browser: playwright-core drives Debian's chromium (headless)
// against a real `gfs gateway` and cluster. It sees the chunkservers, uploads a file through the
// form, finds it in the listing, downloads it and compares the bytes, makes a folder and deletes
// through the page's own dialogs. A screenshot of the dashboard is taken each run; with
// GFS_UPDATE_SCREENSHOT=1 it replaces docs/gateway-dashboard.png.

import { copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GfsClient } from '../../index.js';
import { seededBytes } from '../harness/bytes.js';
import { TestCluster } from '../harness/cluster.js';
import { startTestGateway, type TestGateway } from '../harness/gateway.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
];
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/gateway-dashboard.png', import.meta.url));
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let cluster: TestCluster;
let gateway: TestGateway;
let client: GfsClient;
let scratch: string;
let browser: BrowserContext;
let page: Page;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'gfs-gateway-browser-'));
  cluster = await TestCluster.start({ chunkSize: '1MiB' });
  gateway = await startTestGateway(cluster.masterUrl);
  client = new GfsClient({ master: cluster.masterUrl });
  // A fresh profile in the scratch directory, removed with it.
  browser = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1280, height: 900 },
  });
  page = await browser.newPage();
});

afterAll(async () => {
  await browser?.close();
  await client?.close();
  await gateway?.stop();
  await cluster?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

describe('gateway dashboard in chromium', () => {
  const data = seededBytes(2 * 1024 * 1024 + 777, 42);

  it('shows the cluster: every chunkserver alive, chunk health, events', async () => {
    await page.goto(gateway.url);
    await page.locator('#chunkservers tbody tr td.alive').nth(2).waitFor();
    expect(await page.locator('#chunkservers tbody tr').count()).toBe(3);
    await expect.poll(() => page.locator('#under-replicated').textContent()).toBe('0');
    expect(await page.locator('#master').textContent()).toContain(`127.0.0.1:${cluster.master.port}`);
    await page.locator('#events tbody tr', { hasText: 'chunkserver-up' }).first().waitFor();
  });

  it('uploads through the form, lists the file, and downloads the same bytes', async () => {
    const local = join(scratch, 'photo 1.bin');
    await writeFile(local, data);
    await page.setInputFiles('#upload-input', local);
    await page.click('#upload-form button[type=submit]');
    const row = page.locator('#listing tbody tr[data-name="photo 1.bin"]');
    await row.waitFor();
    expect(Buffer.compare(await client.readFile('/photo 1.bin'), data)).toBe(0);

    const [download] = await Promise.all([page.waitForEvent('download'), row.locator('a.download').click()]);
    expect(download.suggestedFilename()).toBe('photo 1.bin');
    const saved = join(scratch, 'downloaded.bin');
    await download.saveAs(saved);
    expect(Buffer.compare(await readFile(saved), data)).toBe(0);

    // The upload's new chunks show in the master's event feed on the page.
    await page.locator('#events tbody tr', { hasText: 'lease-granted' }).first().waitFor();
    await expect.poll(() => page.locator('#files').textContent()).toBe('1');

    const shot = join(scratch, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect((await readFile(shot)).subarray(0, 8)).toEqual(PNG_SIGNATURE);
    if (process.env.GFS_UPDATE_SCREENSHOT === '1') await copyFile(shot, DOCS_SCREENSHOT);
  });

  it('makes a folder, opens it, and deletes a file through the page', async () => {
    page.once('dialog', (dialog) => void dialog.accept('albums'));
    await page.click('#mkdir-button');
    await page.locator('#listing tbody tr[data-name="albums"]').waitFor();
    expect((await client.stat('/albums')).type).toBe('dir');

    page.once('dialog', (dialog) => void dialog.accept());
    await page.locator('#listing tbody tr[data-name="photo 1.bin"] button.delete').click();
    await page.locator('#listing tbody tr[data-name="photo 1.bin"]').waitFor({ state: 'detached' });
    expect(await client.lookup('/photo 1.bin')).toBeUndefined();

    await page.locator('#listing tbody tr[data-name="albums"] a').click();
    await expect.poll(() => page.locator('#cwd').textContent()).toBe('/albums');
  });
});
