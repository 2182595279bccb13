// The gateway dashboard: polls GET /api/v1/cluster every few seconds, and browses the cluster's
// files through the REST file API (/api/v1/files). Plain DOM code, no build step; every name from
// the cluster goes in through textContent, never as HTML.

const FILES = '/api/v1/files';
const REFRESH_MS = 3000;
const EVENTS_SHOWN = 50;

const $ = (id) => document.getElementById(id);

function formatBytes(bytes) {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(value < 10 ? 2 : 1)} ${units[unit]}`;
}

function formatAgo(ms) {
  if (ms < 1000) return 'just now';
  if (ms < 60_000) return `${Math.round(ms / 1000)} s ago`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  return `${(ms / 3_600_000).toFixed(1)} h ago`;
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function setText(id, text) {
  $(id).textContent = text;
}

/** The cluster path as a URL below /api/v1/files, each name percent-encoded. */
function fileUrl(path, query) {
  const encoded = path
    .split('/')
    .map((name) => encodeURIComponent(name))
    .join('/');
  return `${FILES}${encoded}${query ? `?${query}` : ''}`;
}

function joinPath(directory, name) {
  return directory === '/' ? `/${name}` : `${directory}/${name}`;
}

async function call(url, init) {
  const response = await fetch(url, init);
  if (response.ok) return response.status === 204 ? undefined : response.json();
  let message = `HTTP ${response.status}`;
  try {
    const body = await response.json();
    message = `${body.code}: ${body.message}${body.subject ? ` (${body.subject})` : ''}`;
  } catch {
    // Not a JSON error: the status says it.
  }
  throw new Error(message);
}

// --- Cluster overview -------------------------------------------------------------------------

function showOverview(view) {
  setText('master', `master ${view.master}${view.ready ? '' : ' (waiting for chunk reports)'}`);
  setText('refreshed', `updated ${new Date(view.generatedAtMs).toLocaleTimeString()}`);
  const { capacityBytes, usedBytes, freeBytes } = view.capacity;
  setText('used', formatBytes(usedBytes));
  setText('capacity', formatBytes(capacityBytes));
  setText('free', formatBytes(freeBytes));
  $('used-bar').style.width = `${capacityBytes > 0 ? Math.min(100, (100 * usedBytes) / capacityBytes) : 0}%`;
  setText('files', String(view.files));
  setText('chunks', String(view.chunks));
  setText('trashed', String(view.trashedFiles));
  setText('chunk-size', formatBytes(view.chunkSize));
  const health = view.health;
  for (const [id, value] of [
    ['under-replicated', health?.underReplicated],
    ['lost', health?.lost],
    ['corrupt', health?.corrupt],
  ]) {
    setText(id, value === undefined ? '–' : String(value));
    $(id).className = value > 0 ? 'bad' : '';
  }
  setText('health-note', health === null ? 'unknown until the master has its chunk reports' : 'every chunk checked');
  setText('repair-running', String(view.repair.inFlight));
  setText('repair-waiting', String(view.repair.waiting));
  setText('repair-done', String(view.repair.done));
  setText('repair-failed', String(view.repair.failed));

  const servers = $('chunkservers').tBodies[0];
  servers.replaceChildren();
  for (const server of view.chunkservers) {
    const row = servers.insertRow();
    row.dataset.id = server.id;
    cell(row, server.id);
    cell(row, server.address);
    cell(row, server.rack || '–');
    cell(row, server.alive ? 'alive' : 'dead', server.alive ? 'alive' : 'dead');
    cell(row, formatAgo(view.generatedAtMs - server.lastHeartbeatMs));
    cell(row, String(server.chunks), 'num');
    cell(row, formatBytes(server.bytesUsed), 'num');
    cell(row, formatBytes(server.capacityBytes), 'num');
  }

  const events = $('events').tBodies[0];
  events.replaceChildren();
  for (const event of view.events.slice(-EVENTS_SHOWN).reverse()) {
    const row = events.insertRow();
    cell(row, new Date(event.atMs).toLocaleTimeString());
    cell(row, event.kind, event.kind === 'chunkserver-dead' ? 'dead' : '');
    cell(row, event.subject);
    cell(row, event.detail);
  }
}

async function refreshOverview() {
  try {
    showOverview(await call('/api/v1/cluster'));
    $('problem').hidden = true;
  } catch (error) {
    $('problem').hidden = false;
    setText('problem', `Cannot reach the cluster: ${error.message}`);
  }
}

// --- File browser -----------------------------------------------------------------------------

function currentDirectory() {
  const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
  return hash.startsWith('/') ? hash : '/';
}

function say(text) {
  setText('file-message', text);
}

async function showListing() {
  const directory = currentDirectory();
  setText('cwd', directory);
  const body = $('listing').tBodies[0];
  let entries;
  try {
    entries = await call(fileUrl(directory, 'op=list'));
  } catch (error) {
    say(error.message);
    return;
  }
  body.replaceChildren();
  if (directory !== '/') {
    const row = body.insertRow();
    const link = document.createElement('a');
    link.href = `#${directory.slice(0, directory.lastIndexOf('/')) || '/'}`;
    link.textContent = '..';
    cell(row, '').appendChild(link);
  }
  for (const entry of entries) body.appendChild(entryRow(directory, entry));
}

function entryRow(directory, entry) {
  const row = document.createElement('tr');
  row.dataset.name = entry.name;
  const path = joinPath(directory, entry.name);
  const link = document.createElement('a');
  link.textContent = entry.type === 'dir' ? `${entry.name}/` : entry.name;
  if (entry.type === 'dir') link.href = `#${path}`;
  else {
    link.href = fileUrl(path);
    link.download = entry.name;
    link.className = 'download';
  }
  cell(row, '').appendChild(link);
  cell(row, entry.type === 'dir' ? '' : formatBytes(entry.size), 'num');
  cell(row, entry.type === 'dir' ? '' : String(entry.replication), 'num');
  cell(row, new Date(entry.mtime).toLocaleString());
  cell(row, (entry.mode & 0o7777).toString(8).padStart(4, '0'));
  const actions = cell(row, '');
  actions.append(
    button('rename', () => renameEntry(path)),
    button('delete', () => deleteEntry(path, entry.type)),
  );
  return row;
}

function button(label, onClick) {
  const element = document.createElement('button');
  element.type = 'button';
  element.textContent = label;
  element.className = label;
  element.addEventListener('click', onClick);
  return element;
}

async function act(description, work) {
  try {
    await work();
    say(description);
  } catch (error) {
    say(error.message);
  }
  await showListing();
}

function renameEntry(path) {
  const to = prompt(`Rename ${path} to:`, path);
  if (!to || to === path) return;
  const target = to.startsWith('/') ? to : joinPath(currentDirectory(), to);
  void act(`renamed to ${target}`, () =>
    call(fileUrl(path, `op=rename&to=${encodeURIComponent(target)}`), { method: 'POST' }),
  );
}

function deleteEntry(path, type) {
  if (!confirm(`Delete ${path}${type === 'dir' ? ' and everything in it' : ''}?`)) return;
  void act(`deleted ${path}`, () => call(fileUrl(path, type === 'dir' ? 'recursive=true' : ''), { method: 'DELETE' }));
}

$('mkdir-button').addEventListener('click', () => {
  const name = prompt('New folder name:');
  if (!name) return;
  const path = joinPath(currentDirectory(), name);
  void act(`created ${path}`, () => call(fileUrl(path, 'op=mkdir'), { method: 'POST' }));
});

$('upload-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const form = new FormData();
  const input = $('upload-input');
  for (const file of input.files) form.append('file', file, file.name);
  const directory = currentDirectory();
  say('uploading…');
  void act(`uploaded ${input.files.length} file(s) to ${directory}`, async () => {
    await call(fileUrl(directory, 'op=upload'), { method: 'POST', body: form });
    input.value = '';
  });
});

window.addEventListener('hashchange', () => void showListing());
void refreshOverview();
void showListing();
setInterval(() => void refreshOverview(), REFRESH_MS);
