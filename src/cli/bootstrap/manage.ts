import { members, evenVotersProblem } from '../../cluster/membership.js';
import { ClusterRepository } from '../../platform/cluster-repo.js';
import { CoresRepository } from '../../platform/cores.js';
import { sleep } from '../../util/backoff.js';
import { CliError, config, int, platformClient, requireMulti, type Io, type Values } from './context.js';

export const LIST_CORES_HELP = `bin/bootstrap.js list-cores [-c <config>]

Lists the platform's cores: URL, hosting, availability, users, Raft address, wanted and actual
suffrage, reachability from this core, leader, certificate expiry.`;

export const REVOKE_TOKEN_HELP = `bin/bootstrap.js revoke-token <core-id> [-c <config>]

Revokes every unused join token of a core (e.g. a bundle that leaked or was never used). The core
stays registered as unavailable; issue a new bundle with new-core to try again.`;

export const PROMOTE_CORE_HELP = `bin/bootstrap.js promote-core <core-id> [<core-id>…] [--timeout-s <n>] [-c <config>]

Makes non-voting cores voters. Each one's master leaves the cluster, empties its rqlite data dir and
rejoins as a voter (its platform DB calls answer 503 for a few seconds). Refused if the result would be
an even number of voters, which tolerates no more failures than one fewer: promote two at a time.
Waits until they vote (default 120 s).`;

export async function listCores(values: Values, io: Io): Promise<void> {
  const cfg = config(values);
  requireMulti(cfg);
  const client = platformClient(cfg);
  try {
    const [cores, nodes, live] = await Promise.all([new CoresRepository(client).list(), new ClusterRepository(client).list(), members(client)]);
    const rows = [['ID', 'URL', 'HOSTING', 'ZONE', 'AVAILABLE', 'USERS', 'RAFT', 'WANTED', 'ACTUAL', 'REACHABLE', 'CERT-EXPIRES']];
    for (const c of cores) {
      const n = nodes.find((x) => x.coreId === c.id);
      const m = live.find((x) => x.id === c.id);
      const actual = m === undefined ? 'absent' : `${m.voter ? 'voter' : 'non-voter'}${m.leader ? ' (leader)' : ''}`;
      rows.push([
        c.id, c.url, c.hosting, c.zone ?? '-', c.available ? 'yes' : 'no', String(c.userCount), n?.raftAddress ?? '-',
        n === undefined ? '-' : n.voter ? 'voter' : 'non-voter', actual, m === undefined ? '-' : m.reachable ? 'yes' : 'NO',
        n?.certExpiresAt == null ? '-' : new Date(n.certExpiresAt).toISOString().slice(0, 10),
      ]);
    }
    const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
    for (const r of rows) io.out(r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join('  ').trimEnd());
  } finally {
    await client.close();
  }
}

export async function revokeToken(values: Values, positionals: string[], io: Io): Promise<void> {
  const id = positionals[0];
  if (id === undefined) throw new CliError('which core? revoke-token <core-id>');
  const cfg = config(values);
  requireMulti(cfg);
  const client = platformClient(cfg);
  try {
    const n = await new ClusterRepository(client).revokeTokens(id);
    io.out(n === 0 ? `${id} has no unused join token` : `${id}: ${n} join token${n === 1 ? '' : 's'} revoked`);
  } finally {
    await client.close();
  }
}

export async function promoteCore(values: Values, positionals: string[], io: Io): Promise<void> {
  const ids = [...new Set(positionals)];
  if (ids.length === 0) throw new CliError('which core? promote-core <core-id> [<core-id>…]');
  const cfg = config(values);
  requireMulti(cfg);
  const client = platformClient(cfg);
  try {
    const live = await members(client);
    for (const id of ids) {
      const m = live.find((x) => x.id === id);
      if (m === undefined) throw new CliError(`${id} is not a member of the rqlite cluster`);
      if (m.voter) throw new CliError(`${id} is already a voter`);
      if (!m.reachable) throw new CliError(`${id} is not reachable from this core: promote only healthy cores`);
    }
    const voters = live.filter((m) => m.voter).length + ids.length;
    const problem = evenVotersProblem(voters);
    if (problem !== null) throw new CliError(`refusing to promote ${ids.join(', ')}: ${problem}`);
    await new ClusterRepository(client).setVoter(ids);
    io.err(`promotion of ${ids.join(', ')} requested; waiting for their masters to rejoin as voters…`);
    const deadline = Date.now() + int(values, 'timeout-s', 120) * 1000;
    for (;;) {
      const now = await members(client).catch(() => []);
      // Voting means listed as a voter and answering: a master restarting its rqlited as a voter
      // shows as one before the leader reaches it again (a CI run read 2 reachable voters of 3 right after).
      const pending = ids.filter((id) => {
        const m = now.find((x) => x.id === id);
        return m?.voter !== true || !m.reachable;
      });
      if (pending.length === 0) break;
      if (Date.now() > deadline) throw new CliError(`still not voting: ${pending.join(', ')} (the request stays; check their logs)`);
      await sleep(1000);
    }
    io.out(`${ids.join(', ')} now vote: ${voters} voters`);
  } finally {
    await client.close();
  }
}
