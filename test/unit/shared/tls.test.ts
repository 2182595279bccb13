// The pure parts of TLS: which scheme a URL names, how a bare chunkserver address gets the
// cluster's scheme, and which handshake failures get the CLI's words.

import { describe, expect, it } from 'vitest';
import { originOf } from '../../../shared/http/client.js';
import { schemeOf, tlsFailureText } from '../../../shared/tls.js';

describe('TLS helpers', () => {
  it('takes the scheme from the master URL; a bare address is plain', () => {
    expect(schemeOf('https://10.0.0.1:7070')).toBe('https');
    expect(schemeOf('http://10.0.0.1:7070')).toBe('http');
    expect(schemeOf('10.0.0.1:7070')).toBe('http');
  });

  it('gives a bare chunkserver address the cluster scheme, and keeps a URL as written', () => {
    expect(originOf('10.0.0.11:7071')).toBe('http://10.0.0.11:7071');
    expect(originOf('10.0.0.11:7071', 'https')).toBe('https://10.0.0.11:7071');
    expect(originOf('http://10.0.0.1:7070/', 'https')).toBe('http://10.0.0.1:7070');
  });

  it('names untrusted, misnamed and non-TLS servers, and leaves other failures alone', () => {
    for (const code of [
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
      'SELF_SIGNED_CERT_IN_CHAIN',
      'DEPTH_ZERO_SELF_SIGNED_CERT',
    ]) {
      expect(tlsFailureText(code, '')).toBe('TLS: certificate not trusted (pass --tls-ca FILE)');
    }
    expect(tlsFailureText('ERR_TLS_CERT_ALTNAME_INVALID', '')).toBe('TLS: certificate is not for this address');
    expect(tlsFailureText('ERR_SSL_WRONG_VERSION_NUMBER', '')).toMatch(/does not speak TLS/);
    expect(tlsFailureText('ECONNREFUSED', 'connect ECONNREFUSED')).toBeUndefined();
    expect(tlsFailureText(undefined, 'boom')).toBeUndefined();
  });
});
