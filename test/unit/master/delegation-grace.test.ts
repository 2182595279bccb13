// The grace after a master's start (master/delegations): a delegation that lapsed while the master
// was down still refuses other clients for one term after the start, so its holder can renew it
// before anyone looks into a directory where it may hold closed files not yet sent; one renewed,
// returned or granted anew since the start follows its own expiry; a long-lapsed one gets none.

import { describe, expect, it } from 'vitest';
import { DELEGATION_GRACE_LOOKBACK_MS, Delegations } from '../../../master/delegations/delegations.js';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import { DELEGATION_TERM_MS } from '../../../shared/limits.js';
import { runScript } from './script.js';

const HOLDER = 'holder-aaaa';

function recovered(expiresAtMs: number, startMs: number) {
  const state = createState(1024 * 1024);
  runScript(state, 'mkdir /d\nmkdir /e');
  apply(state, { op: 'delegate', holder: HOLDER, paths: ['/d'], expiresAtMs });
  const clock = { now: startMs };
  return { state, clock, delegations: new Delegations(state, () => clock.now) };
}

describe('the grace after a start', () => {
  it('a delegation that lapsed during the outage is live for one term after the start, then not', () => {
    const start = 1_000_000;
    const { delegations, clock } = recovered(start - 30_000, start);
    expect(delegations.live('/d')?.holder).toBe(HOLDER);
    expect(() => delegations.require(undefined, { near: ['/d/x'] })).toThrow(/delegated/);
    clock.now = start + DELEGATION_TERM_MS - 1;
    expect(delegations.live('/d')?.holder).toBe(HOLDER);
    clock.now = start + DELEGATION_TERM_MS;
    expect(delegations.live('/d')).toBeUndefined();
    expect(() => delegations.require(undefined, { near: ['/d/x'] })).not.toThrow();
  });

  it('renewed in the grace, it follows its new expiry; returned, it is gone', () => {
    const start = 1_000_000;
    const { state, delegations, clock } = recovered(start - 30_000, start);
    clock.now = start + 1_000;
    apply(state, { op: 'delegate', holder: HOLDER, paths: ['/d'], expiresAtMs: clock.now + 2 * DELEGATION_TERM_MS });
    clock.now = start + DELEGATION_TERM_MS + 5_000;
    expect(delegations.live('/d')?.holder).toBe(HOLDER);
    apply(state, { op: 'undelegate', path: '/d' });
    expect(delegations.live('/d')).toBeUndefined();
  });

  it('one that lapsed longer than the look-back before the start gets no grace', () => {
    const start = 10 * DELEGATION_GRACE_LOOKBACK_MS;
    const { delegations } = recovered(start - DELEGATION_GRACE_LOOKBACK_MS - 1, start);
    expect(delegations.live('/d')).toBeUndefined();
  });
});
