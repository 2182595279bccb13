// Certificates for TLS tests, made with the `openssl` CLI (as an operator would make them,
// docs/security-tls.md): a CA, and a server certificate it signs for 127.0.0.1 and localhost.
// A second, unrelated CA lets a test show that trusting the wrong CA fails.

import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCerts {
  /** The CA's certificate (what clients pass as --tls-ca). */
  ca: string;
  /** The server certificate (SAN IP:127.0.0.1, DNS:localhost), signed by the CA. */
  cert: string;
  /** The server certificate's private key. */
  key: string;
  /** A CA that signed nothing here: trusting it is not trusting the servers. */
  otherCa: string;
}

/** Makes the files in `dir` (which must exist), valid for a day. */
export async function makeTestCerts(dir: string): Promise<TestCerts> {
  const path = (name: string) => join(dir, name);
  const openssl = (args: string[]) => run('openssl', args, { cwd: dir });
  const newCa = async (name: string) => {
    await openssl([
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path(`${name}.key`),
      '-out',
      path(`${name}.pem`),
      '-days',
      '1',
      '-subj',
      `/CN=gfs test ${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
  };
  await newCa('ca');
  await newCa('other-ca');
  await openssl([
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    path('server.key'),
    '-out',
    path('server.csr'),
    '-subj',
    '/CN=gfs test server',
  ]);
  await writeFile(
    path('server.ext'),
    [
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      'basicConstraints=CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=serverAuth',
      '',
    ].join('\n'),
  );
  await openssl([
    'x509',
    '-req',
    '-in',
    path('server.csr'),
    '-CA',
    path('ca.pem'),
    '-CAkey',
    path('ca.key'),
    '-CAcreateserial',
    '-out',
    path('server.pem'),
    '-days',
    '1',
    '-extfile',
    path('server.ext'),
  ]);
  return { ca: path('ca.pem'), cert: path('server.pem'), key: path('server.key'), otherCa: path('other-ca.pem') };
}
