// Optional TLS (docs/security-tls.md): the certificate files a server serves with, the CA file a
// client trusts on top of Node's roots, and the wording of TLS failures. A cluster is all TLS or
// all plain: the scheme of the master's URL says which, and every role follows it.

import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';
import { GfsError } from './errors.js';

/** What a server serves TLS with: PEM contents, read and checked at start. */
export interface ServerTls {
  cert: Buffer;
  key: Buffer;
}

/** `http` or `https`: the scheme of a cluster's every role. */
export type Scheme = 'http' | 'https';

/** The scheme a URL names (`https://…`), else plain http (`host:port`, `http://…`). */
export function schemeOf(url: string): Scheme {
  return url.trim().startsWith('https://') ? 'https' : 'http';
}

/**
 * Reads and checks a server's certificate and key, so a wrong file stops the server before it
 * opens anything, with one line naming the file (not on the first client's handshake).
 */
export function readServerTls(certFile: string, keyFile: string): ServerTls {
  const cert = readPem(certFile, 'TLS certificate');
  const key = readPem(keyFile, 'TLS key');
  try {
    new X509Certificate(cert);
  } catch (error) {
    throw new GfsError('INVALID_ARGUMENT', `not a PEM certificate (${reasonOf(error)})`, certFile);
  }
  try {
    createPrivateKey(key);
  } catch (error) {
    throw new GfsError('INVALID_ARGUMENT', `not a PEM private key (${reasonOf(error)})`, keyFile);
  }
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    throw new GfsError('INVALID_ARGUMENT', `TLS key does not match the certificate (${reasonOf(error)})`, keyFile);
  }
  return { cert, key };
}

/** Reads a CA file (one or more PEM certificates) a client trusts besides Node's roots. */
export function readCaFile(caFile: string): string {
  const pem = readPem(caFile, 'TLS CA file').toString('utf8');
  try {
    // The whole bundle must parse, not only its first certificate.
    createSecureContext({ ca: pem });
    new X509Certificate(pem);
  } catch (error) {
    throw new GfsError('INVALID_ARGUMENT', `not a PEM certificate (${reasonOf(error)})`, caFile);
  }
  return pem;
}

/**
 * The context every TLS connection of a client is made with: Node's roots plus `ca`. Made once
 * per client (undici passes it to tls.connect): a `ca` list per connection would parse every
 * root certificate again on each connect.
 */
export function clientSecureContext(ca: string): SecureContext {
  return createSecureContext({ ca: [...rootCertificates, ca] });
}

/** OpenSSL's verdicts that mean "no trusted CA signed the server's certificate". */
const UNTRUSTED_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_UNTRUSTED',
]);

const TLS_FAILURE_PREFIX = 'TLS: ';

/**
 * What a TLS failure of a connection means, in the CLI's words, or undefined when it is not one
 * (a refused connection, a timeout).
 */
export function tlsFailureText(code: string | undefined, message: string): string | undefined {
  const text = tlsFailureReason(code, message);
  return text === undefined ? undefined : `${TLS_FAILURE_PREFIX}${text}`;
}

/** True for an error made from a TLS failure: waiting or retrying will not mend it. */
export function isTlsFailure(error: unknown): boolean {
  return error instanceof GfsError && error.message.startsWith(TLS_FAILURE_PREFIX);
}

function tlsFailureReason(code: string | undefined, message: string): string | undefined {
  if (code === undefined) return undefined;
  if (UNTRUSTED_CODES.has(code)) return 'certificate not trusted (pass --tls-ca FILE)';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return 'certificate is not for this address';
  if (code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID') return `certificate not valid now (${code})`;
  // A TLS client that reached a plain server reads an HTTP reply where a handshake should be.
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || (code === 'EPROTO' && /wrong version number/i.test(message))) {
    return 'the server does not speak TLS (use an http:// master URL)';
  }
  return undefined;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : (code ?? 'unreadable');
    throw new GfsError('INVALID_ARGUMENT', `cannot read ${what} (${why})`, file);
  }
}

function reasonOf(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/^error:[0-9A-F]+:/, '');
}
