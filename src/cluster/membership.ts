import type { RqliteClient } from '../platform/rqlite-client.js';

export interface Member {
  id: string;
  addr: string;
  voter: boolean;
  reachable: boolean;
  leader: boolean;
}

/** The Raft configuration as this node's rqlited sees it (`/nodes?nonvoters&ver=2`, probed over the Raft port). */
export async function members(client: RqliteClient, timeoutMs = 5000): Promise<Member[]> {
  const res = await client.request('GET', `/nodes?nonvoters&ver=2&timeout=${Math.max(1, Math.floor(timeoutMs / 2000))}s`, timeoutMs);
  if (res.status !== 200) throw new Error(`rqlite /nodes answered ${res.status}: ${res.text.trim().slice(0, 200)}`);
  const body = JSON.parse(res.text) as { nodes?: Partial<Member>[] };
  return (body.nodes ?? []).map((n) => ({
    id: String(n.id ?? ''),
    addr: String(n.addr ?? ''),
    voter: n.voter === true,
    reachable: n.reachable === true,
    leader: n.leader === true,
  }));
}

/** Removes a node from the Raft configuration (the request is forwarded to the leader). */
export async function removeMember(client: RqliteClient, id: string, timeoutMs = 10_000): Promise<void> {
  const res = await client.request('DELETE', '/remove', timeoutMs, { id });
  if (res.status !== 200) throw new Error(`rqlite /remove ${id} answered ${res.status}: ${res.text.trim().slice(0, 200)}`);
}

/** Why a set of voters is refused: an even count tolerates no more failures than one fewer. */
export function evenVotersProblem(voters: number): string | null {
  if (voters % 2 === 1) return null;
  const tolerated = Math.floor((voters - 1) / 2);
  return (
    `that would leave ${voters} voters: a quorum of ${voters} needs ${Math.floor(voters / 2) + 1} of them, so it survives ` +
    `only ${tolerated} failure${tolerated === 1 ? '' : 's'}, like ${voters - 1} voters, with one more machine that can break it. ` +
    'Promote cores two at a time (promote-core <id> <id>) to keep an odd number of voters.'
  );
}
