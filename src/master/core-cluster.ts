import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Config } from '../config/index.js';
import { raftAdvertisedAddress } from '../config/multi-rules.js';
import type { Logger } from '../logging/logger.js';
import { joinedMarker, rqliteDataDir, rqlitedArgs, rqliteNodeId, type RqlitedArgsOptions } from './rqlited.js';
import type { Sidecar } from '../sidecar/sidecar.js';
import { ClusterRepository } from '../platform/cluster-repo.js';
import type { RqliteClient } from '../platform/rqlite-client.js';
import { rqliteAuthFile } from '../secrets/rqlite-auth.js';
import { sleep } from '../util/backoff.js';
import { acknowledgeJoin, ackPending } from '../cluster/join.js';
import { members, removeMember, type Member } from '../cluster/membership.js';

const RECONCILE_MS = 3000;

/**
 * The master's part in the cluster (multi mode): the rqlited command line (join flags only until this
 * node is a confirmed member), the core's cluster record, the join acknowledgement, and the promotion
 * of a non-voter once `promote-core` asked for it.
 */
export class CoreCluster {
  private override: RqlitedArgsOptions = {};
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  private stopped = false;
  private readonly log: Logger;
  private readonly multi: boolean;
  /** A clone joining the rqlite cluster of its core's other clones (single mode too). */
  private readonly cloneJoin: boolean;
  private readonly nodeId: string;

  constructor(
    private readonly config: Readonly<Config>,
    logger: Logger,
    private readonly client: RqliteClient,
  ) {
    this.log = logger.child({ component: 'cluster' });
    this.multi = config.platform.mode === 'multi';
    this.cloneJoin = config.core.cloneId !== null && config.platformDb.rqlited.join.length > 0;
    this.nodeId = rqliteNodeId(config);
  }

  /** Called at every rqlited (re)start. */
  args(): string[] {
    return rqlitedArgs(this.config, { authFile: rqliteAuthFile(this.config), ...this.override });
  }

  /**
   * Before rqlited starts. A data dir that holds a cluster but no membership marker, on a core with
   * no join list, is a single core turned into the first core of a platform (`bootstrap.js init`):
   * its Raft configuration still names the old node id and address, so it could never elect itself.
   * rqlite's peers.json recovery rewrites that configuration to this node alone (notes §F11).
   */
  prepareDataDir(): void {
    if (!this.multi || this.config.platformDb.rqlited.join.length > 0 || existsSync(joinedMarker(this.config))) return;
    const dataDir = rqliteDataDir(this.config);
    if (!existsSync(join(dataDir, 'raft.db'))) return;
    const peers = [{ id: this.nodeId, address: raftAdvertisedAddress(this.config), non_voter: false }];
    mkdirSync(join(dataDir, 'raft'), { recursive: true });
    writeFileSync(join(dataDir, 'raft', 'peers.json'), JSON.stringify(peers));
    this.log.warn({ peers }, 'single-core platform DB becomes the first node of a cluster (peers.json recovery)');
  }

  private async self(): Promise<Member | undefined> {
    return (await members(this.client).catch(() => [])).find((m) => m.id === this.nodeId);
  }

  /** After /readyz: wait until the Raft configuration lists this node, then stop passing join flags. */
  async confirmMembership(timeoutMs: number): Promise<void> {
    if ((!this.multi && !this.cloneJoin) || existsSync(joinedMarker(this.config))) return;
    const deadline = Date.now() + timeoutMs;
    while ((await this.self()) === undefined) {
      if (Date.now() > deadline) throw new Error(`rqlited is not a member of the cluster after ${timeoutMs} ms`);
      await sleep(200);
    }
    writeFileSync(joinedMarker(this.config), `${new Date().toISOString()}\n`);
    this.override = {};
    this.log.info({ coreId: this.config.core.id, nodeId: this.nodeId }, 'rqlited is a cluster member');
  }

  /** After the platform migrations: this core's record (the first core of a cluster is its voter). */
  async register(): Promise<void> {
    // A joining clone keeps its core's record (the first clone's Raft address is the one to join through).
    if (!this.multi || this.cloneJoin) return;
    const r = this.config.platformDb.rqlited;
    const repo = new ClusterRepository(this.client);
    await repo.upsertSelf({
      coreId: this.config.core.id,
      ip: this.config.core.ip ?? '',
      raftAddress: raftAdvertisedAddress(this.config),
      voter: r.join.length === 0 && !r.nonVoter,
    });
    const certFile = this.config.platformDb.tls.certFile;
    if (certFile !== null) {
      // Loaded in multi mode only: the X.509 library costs a single core's master 0.4 s of CPU at start.
      const { certInfo } = await import('../cluster/pki.js');
      const info = await certInfo(readFileSync(certFile, 'utf8'));
      await repo.recordCertificate(this.config.core.id, info.sha256, info.notAfter.getTime());
      const days = Math.floor((info.notAfter.getTime() - Date.now()) / 86_400_000);
      if (days < 30) this.log.warn({ daysLeft: days }, 'cluster certificate expires soon: bin/bootstrap.js renew-cert');
    }
  }

  /** Once the workers serve: the issuing core burns the join token and marks this core available. */
  async acknowledge(): Promise<void> {
    if (!this.multi || !ackPending(this.config.paths.varDir)) return;
    const issuer = await acknowledgeJoin(this.config.paths.varDir);
    this.log.info({ issuer }, 'join acknowledged: this core is available');
  }

  startReconciling(rqlited: Sidecar, readyTimeoutMs: number): void {
    // A clone's rqlited is a read replica of the core's cluster: `promote-core` concerns its core's first node.
    if (!this.multi || this.config.core.cloneId !== null) return;
    this.timer = setInterval(() => {
      if (this.busy || this.stopped) return;
      this.busy = true;
      this.reconcile(rqlited, readyTimeoutMs)
        .catch((err: Error) => this.log.warn({ err: err.message }, 'cluster reconciliation failed; retrying'))
        .finally(() => {
          this.busy = false;
        });
    }, RECONCILE_MS);
    this.timer.unref();
  }

  /**
   * Promotion: rqlite ignores a join from a node that is already a member, so a non-voter becomes a
   * voter by leaving (`/remove`), starting from an empty data dir and joining again as a voter. A
   * non-voter holds nothing of its own: the leader sends it a snapshot.
   */
  private async reconcile(rqlited: Sidecar, readyTimeoutMs: number): Promise<void> {
    const wanted = await new ClusterRepository(this.client).get(this.config.core.id);
    if (wanted === null || !wanted.voter) return;
    const all = await members(this.client);
    const me = all.find((m) => m.id === this.config.core.id);
    if (me === undefined || me.voter) return;
    const targets = all.filter((m) => m.id !== me.id && m.voter).map((m) => m.addr);
    if (targets.length === 0) throw new Error('promotion: no voter to join through');
    this.log.info({ targets }, 'promotion to voter: leaving the cluster to rejoin as a voter');
    await removeMember(this.client, me.id);
    await rqlited.stop();
    if (this.stopped) return;
    const dataDir = rqliteDataDir(this.config);
    const aside = `${dataDir}.non-voter-${Date.now()}`;
    renameSync(dataDir, aside);
    this.override = { join: targets, voter: true };
    rqlited.start();
    const deadline = Date.now() + readyTimeoutMs;
    while (!(await this.client.isReady(1000)).ok) {
      if (Date.now() > deadline) throw new Error('promotion: rqlited not ready after rejoining');
      await sleep(200);
    }
    await this.confirmMembership(readyTimeoutMs);
    rmSync(aside, { recursive: true, force: true });
    this.log.info('promotion done: this core votes');
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearInterval(this.timer);
  }
}
