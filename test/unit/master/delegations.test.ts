// The delegation conflict check (master/delegations): which requests of a non-holder a live
// delegation refuses (near: the directory or a name in it; subtree: also a tree holding it), that
// its holder and expired delegations refuse nobody, that a refusal recalls (once, waking the
// holder's long-poll), how long a recalled delegation may still be renewed, and that one returned
// after a recall is not granted again at once.

import { describe, expect, it } from 'vitest';
import { Delegations, REGRANT_AFTER_RECALL_MS, type Reach } from '../../../master/delegations/delegations.js';
import { apply } from '../../../master/state/apply.js';
import { createState } from '../../../master/state/namespace-table.js';
import type { MasterState } from '../../../master/state/types.js';
import { GfsError } from '../../../shared/errors.js';
import { DELEGATION_RECALL_MS_MAX, DELEGATION_TERM_MS } from '../../../shared/limits.js';
import { codeOf } from '../../harness/error-code.js';
import { runScript } from './script.js';

const HOLDER = 'holder-aaaa';
const OTHER = 'holder-bbbb';

function setup(): { state: MasterState; delegations: Delegations; clock: { now: number } } {
  const state = createState(1024 * 1024);
  runScript(state, 'mkdir -p /top/d/sub\nmkdir /elsewhere\ncreate /top/d/f');
  const clock = { now: 1_000 };
  apply(state, { op: 'delegate', holder: HOLDER, paths: ['/top/d'], expiresAtMs: clock.now + DELEGATION_TERM_MS });
  return { state, delegations: new Delegations(state, () => clock.now), clock };
}

function refusal(delegations: Delegations, requester: string | undefined, reach: Reach): string | undefined {
  try {
    delegations.require(requester, reach);
    return undefined;
  } catch (error) {
    if (!(error instanceof GfsError)) throw error;
    return `${error.code} ${error.subject}`;
  }
}

describe('the conflict check', () => {
  it('near: the delegated directory itself, and any name in it; not deeper, not beside it', () => {
    const { delegations } = setup();
    const near = (path: string) => refusal(delegations, undefined, { near: [path] });
    expect(near('/top/d')).toBe('DELEGATED /top/d');
    expect(near('/top/d/f')).toBe('DELEGATED /top/d');
    expect(near('/top/d/new')).toBe('DELEGATED /top/d');
    expect(near('/top/d/sub')).toBe('DELEGATED /top/d');
    expect(near('/top/d/sub/x')).toBeUndefined();
    expect(near('/top')).toBeUndefined();
    expect(near('/top/dd')).toBeUndefined();
    expect(near('/')).toBeUndefined();
    expect(near('/elsewhere/x')).toBeUndefined();
  });

  it('subtree: also every path whose tree holds the delegated directory', () => {
    const { delegations } = setup();
    const subtree = (path: string) => refusal(delegations, undefined, { subtree: [path] });
    expect(subtree('/top')).toBe('DELEGATED /top/d');
    expect(subtree('/')).toBe('DELEGATED /top/d');
    expect(subtree('/top/d')).toBe('DELEGATED /top/d');
    expect(subtree('/top/d/sub')).toBe('DELEGATED /top/d');
    expect(subtree('/top/dd')).toBeUndefined();
    expect(subtree('/elsewhere')).toBeUndefined();
    // A rename checks both ends: either one refuses.
    expect(refusal(delegations, undefined, { subtree: ['/elsewhere', '/top/d/moved'] })).toBe('DELEGATED /top/d');
  });

  it('mkdir -p: near of the path and of each ancestor it may create', () => {
    const { delegations } = setup();
    expect(refusal(delegations, undefined, { near: ['/top/d/sub/a/b', '/top', '/top/d', '/top/d/sub'] })).toBe(
      'DELEGATED /top/d',
    );
    expect(refusal(delegations, undefined, { near: ['/elsewhere/a/b', '/elsewhere', '/elsewhere/a'] })).toBeUndefined();
  });

  it('the holder passes; another holder does not', () => {
    const { delegations } = setup();
    expect(refusal(delegations, HOLDER, { near: ['/top/d/f'], subtree: ['/top'] })).toBeUndefined();
    expect(refusal(delegations, OTHER, { near: ['/top/d/f'] })).toBe('DELEGATED /top/d');
  });

  it('an expired delegation refuses nobody, and nothing delegated costs nothing', () => {
    const { state, delegations, clock } = setup();
    clock.now += DELEGATION_TERM_MS;
    expect(refusal(delegations, undefined, { near: ['/top/d/f'], subtree: ['/'] })).toBeUndefined();
    expect(delegations.liveCount()).toBe(0);
    state.delegations.clear();
    expect(codeOf(() => delegations.require(undefined, { subtree: ['/'] }))).toBeUndefined();
  });
});

describe('recalls', () => {
  it('a refusal recalls the delegation once and wakes its holder; the recall is what the long-poll answers', async () => {
    const { delegations } = setup();
    const waiting = delegations.recallsFor(HOLDER, 60_000);
    const otherWaiting = delegations.recallsFor(OTHER, 60_000);
    expect(delegations.waiters.size).toBe(2);
    refusal(delegations, undefined, { near: ['/top/d/f'] });
    refusal(delegations, undefined, { near: ['/top/d/g'] });
    expect(await waiting).toEqual(['/top/d']);
    expect(delegations.recallsTotal).toBe(1);
    // Asked again, the answer is at once.
    expect(await delegations.recallsFor(HOLDER, 60_000)).toEqual(['/top/d']);
    expect(delegations.waiters.size).toBe(1);
    delegations.close();
    expect(await otherWaiting).toEqual([]);
    expect(delegations.waiters.size).toBe(0);
  });

  it('a long-poll ends empty after its wait or when its request goes away, leaving nothing behind', async () => {
    const { delegations } = setup();
    expect(await delegations.recallsFor(HOLDER, 20)).toEqual([]);
    const aborter = new AbortController();
    const waiting = delegations.recallsFor(HOLDER, 60_000, aborter.signal);
    aborter.abort();
    expect(await waiting).toEqual([]);
    expect(delegations.waiters.size).toBe(0);
  });

  it('a recalled delegation is renewed only up to its recall bound, then blocks nobody; a grant forgets the recall', () => {
    const { state, delegations, clock } = setup();
    const renew = () => {
      const expiresAtMs = delegations.renewedExpiryMs('/top/d');
      apply(state, { op: 'delegate', holder: HOLDER, paths: ['/top/d'], expiresAtMs });
      return expiresAtMs;
    };
    expect(renew()).toBe(clock.now + DELEGATION_TERM_MS);
    const recalledAt = clock.now;
    refusal(delegations, undefined, { near: ['/top/d/f'] });
    expect(delegations.recalledAtMs('/top/d')).toBe(recalledAt);
    expect(delegations.recalledOf(HOLDER)).toEqual(['/top/d']);
    // The holder goes on renewing but never returns it: each renewal is capped at the bound.
    const everyMs = 3_000;
    while (clock.now + everyMs + DELEGATION_TERM_MS <= recalledAt + DELEGATION_RECALL_MS_MAX) {
      clock.now += everyMs;
      expect(renew()).toBe(clock.now + DELEGATION_TERM_MS);
    }
    clock.now += everyMs;
    expect(renew()).toBe(recalledAt + DELEGATION_RECALL_MS_MAX);
    expect(refusal(delegations, undefined, { near: ['/top/d/f'] })).toBe('DELEGATED /top/d');
    clock.now = recalledAt + DELEGATION_RECALL_MS_MAX;
    expect(delegations.live('/top/d')).toBeUndefined();
    expect(refusal(delegations, undefined, { near: ['/top/d/f'] })).toBeUndefined();
    // A new grant (the route forgets the recall first) starts afresh.
    delegations.forgetRecall('/top/d');
    expect(renew()).toBe(clock.now + DELEGATION_TERM_MS);
    expect(delegations.recalledOf(HOLDER)).toEqual([]);
  });

  it('returned after a recall, a directory is not granted again until the recalling clients had their turn', () => {
    const { state, delegations, clock } = setup();
    expect(delegations.mayGrant('/top/d')).toBe(true);
    refusal(delegations, undefined, { near: ['/top/d/f'] });
    expect(delegations.mayGrant('/top/d')).toBe(false);
    delegations.returned('/top/d');
    state.delegations.delete('/top/d');
    expect(delegations.recalledOf(HOLDER)).toEqual([]);
    expect(delegations.mayGrant('/top/d')).toBe(false);
    clock.now += REGRANT_AFTER_RECALL_MS;
    expect(delegations.mayGrant('/top/d')).toBe(true);
    // Returned without a recall: at once.
    apply(state, {
      op: 'delegate',
      holder: HOLDER,
      paths: ['/elsewhere'],
      expiresAtMs: clock.now + DELEGATION_TERM_MS,
    });
    delegations.returned('/elsewhere');
    expect(delegations.mayGrant('/elsewhere')).toBe(true);
  });
});
