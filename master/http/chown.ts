// Who may change an entry's owner or group (issue 7 item 3), as POSIX and HDFS have it: the
// owner only by a superuser (giving files away would dodge quotas and forge authorship); the
// group also by the owner, to a group they are in.

import { GfsError } from '../../shared/errors.js';
import { validName } from '../../shared/security/client-token.js';
import { groupOf, ownerOf, owns } from '../permissions/access.js';
import { requireTraverse } from '../permissions/path-checks.js';
import type { ChownRecord, MasterState } from '../state/types.js';
import type { Caller } from './caller.js';

export function chownFor(
  state: MasterState,
  caller: Caller,
  path: string,
  change: { owner?: string | undefined; group?: string | undefined },
): ChownRecord {
  if (change.owner === undefined && change.group === undefined) {
    throw new GfsError('INVALID_ARGUMENT', 'chown names no owner and no group', path);
  }
  const owner = change.owner === undefined ? undefined : validName(change.owner, 'user');
  const group = change.group === undefined ? undefined : validName(change.group, 'group');
  requireTraverse(state, caller, path);
  const entry = state.entries.get(path);
  if (entry !== undefined && !caller.superuser) {
    if (owner !== undefined && owner !== ownerOf(entry)) {
      throw new GfsError(
        'PERMISSION_DENIED',
        `permission denied (${caller.user}: only a superuser changes an owner)`,
        path,
      );
    }
    if (group !== undefined && group !== groupOf(entry)) {
      if (!owns(caller, entry)) {
        throw new GfsError('PERMISSION_DENIED', `permission denied (${caller.user} is not the owner)`, path);
      }
      if (!caller.groups.includes(group)) {
        throw new GfsError('PERMISSION_DENIED', `permission denied (${caller.user} is not in group ${group})`, path);
      }
    }
  }
  return {
    op: 'chown',
    path,
    ...(owner === undefined ? {} : { owner }),
    ...(group === undefined ? {} : { group }),
  };
}
