import { evenVotersProblem, members, removeMember } from '../../cluster/membership.js';
import { ClusterRepository } from '../../platform/cluster-repo.js';
import { CoreInstancesRepository } from '../../platform/core-instances.js';
import { CoresRepository } from '../../platform/cores.js';
import { CliError, config, platformClient, requireMulti, type Io, type Values } from './context.js';

export const REMOVE_CORE_HELP = `bin/bootstrap.js remove-core <core-id> [-c <config>]

For a core lost for good (machine gone): removes it from the rqlite cluster, so that it no longer
counts for the quorum, marks it unavailable (placement and reg/access DNS skip it), revokes its
unused join tokens and records it as a non-voter, so that a replacement issued with new-core under
the same id joins as a non-voter. Refused for this core, and for a core this core still reaches (stop
it first). Its users stay mapped to it: restore its PostgreSQL database on the replacement.

remove-core <core-id>.<clone-id> takes a clone lost for good (new-clone) out of the rqlite cluster
and forgets its heartbeat; its core and the core's other clones are left as they are.`;

/** A clone's rqlited (`{core}.{clone}`): only its Raft membership and its instance row go. */
async function removeClone(nodeId: string, values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  requireMulti(cfg);
  const [coreId = '', cloneId = ''] = nodeId.split('.');
  if (coreId === cfg.core.id && cloneId === cfg.core.cloneId) throw new CliError(`${nodeId} is this clone: run remove-core on another node`);
  const client = platformClient(cfg);
  try {
    const member = (await members(client)).find((m) => m.id === nodeId);
    if (member === undefined) throw new CliError(`${nodeId} is not a cluster member`);
    if (member.reachable) throw new CliError(`${nodeId} is reachable from this core: stop it before removing it`);
    await removeMember(client, nodeId);
    await new CoreInstancesRepository(client).forget(coreId, nodeId);
    io.out(`${nodeId} removed from the cluster; ${coreId} and its other clones unchanged`);
  } finally {
    await client.close();
  }
}

export async function removeCore(values: Values, positionals: string[], io: Io): Promise<void> {
  const id = positionals[0];
  if (id === undefined) throw new CliError('which core? remove-core <core-id>');
  if (id.includes('.')) return removeClone(id, values, io);
  const cfg = config(values);
  requireMulti(cfg);
  if (id === cfg.core.id) throw new CliError(`${id} is this core: run remove-core on another core`);
  const client = platformClient(cfg);
  try {
    const live = await members(client);
    const member = live.find((m) => m.id === id);
    const cores = new CoresRepository(client);
    if (member === undefined && (await cores.get(id)) === null) throw new CliError(`${id} is neither a cluster member nor a registered core`);
    if (member?.reachable === true) throw new CliError(`${id} is reachable from this core: stop it before removing it`);
    if (member !== undefined) await removeMember(client, id);
    const repo = new ClusterRepository(client);
    // Its instance rows first: a heartbeat younger than its staleness would make the next report of
    // another core's master set the flag back (src/platform/core-instances.ts).
    await new CoreInstancesRepository(client).forgetCore(id);
    await cores.setAvailable(id, false);
    await repo.revokeTokens(id);
    await repo.setNonVoter(id);
    const voters = live.filter((m) => m.voter && m.id !== id).length;
    io.out(`${id} ${member === undefined ? 'was not a cluster member' : 'removed from the cluster'}; marked unavailable; ${voters} voter${voters === 1 ? '' : 's'} left`);
    if (evenVotersProblem(voters) !== null) {
      io.out('an even number of voters: add a core (new-core) and promote-core it to get back to an odd number');
    }
  } finally {
    await client.close();
  }
}
