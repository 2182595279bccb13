// What a server tells others its address is: --advertise (port defaulting to the bound one), else
// the host it listens on, refused when that is every interface.

import { describe, expect, it } from 'vitest';
import { GfsError } from '../../../shared/errors.js';
import { advertisedAddress, parseHostPort } from '../../../shared/host-port.js';

describe('advertisedAddress', () => {
  it('is --advertise, with the bound port when it names none', () => {
    expect(advertisedAddress('0.0.0.0', 7071, '10.0.0.2')).toBe('10.0.0.2:7071');
    expect(advertisedAddress('0.0.0.0', 7071, 'cs1.example:17071')).toBe('cs1.example:17071');
    expect(advertisedAddress('::', 7071, '[fd00::2]')).toBe('[fd00::2]:7071');
  });

  it('is the listening host when there is no --advertise', () => {
    expect(advertisedAddress('127.0.0.1', 7071, undefined)).toBe('127.0.0.1:7071');
    expect(advertisedAddress('fd00::2', 7071, undefined)).toBe('[fd00::2]:7071');
  });

  it('refuses a wildcard host without --advertise: nobody can connect to 0.0.0.0', () => {
    for (const host of ['0.0.0.0', '::']) {
      expect(() => advertisedAddress(host, 7071, undefined)).toThrow(GfsError);
    }
  });
});

describe('parseHostPort', () => {
  it('splits host and port', () => {
    expect(parseHostPort('10.0.0.2:7071')).toEqual({ host: '10.0.0.2', port: 7071 });
    expect(parseHostPort('[::1]')).toEqual({ host: '[::1]' });
  });
});
