import { afterEach, describe, expect, it } from 'vitest';
import { engines, type EngineDatabase } from './engines.js';

/** The StorageEngine contract (src/storage/interfaces/storage-engine.ts), run against every engine. */
describe.each(engines)('StorageEngine contract: $name', (fixture) => {
  const databases: EngineDatabase[] = [];
  async function fresh(): Promise<EngineDatabase> {
    const db = await fixture.freshDatabase();
    databases.push(db);
    return db;
  }
  afterEach(async () => {
    await Promise.all(databases.splice(0).map((d) => d.dispose()));
  });

  it('reports its name', async () => {
    expect((await fresh()).open().name).toBe(fixture.name);
  });

  it('a fresh database is at schema version 0, below what the code needs', async () => {
    const engine = (await fresh()).open();
    expect(await engine.schemaVersion()).toBe(0);
    expect(engine.requiredSchemaVersion).toBeGreaterThan(0);
  });

  it('migrate() reaches requiredSchemaVersion, applying versions in ascending order', async () => {
    const engine = (await fresh()).open();
    const applied = await engine.migrate();
    expect(applied.length).toBeGreaterThan(0);
    expect([...applied].sort((a, b) => a - b)).toEqual(applied);
    expect(applied.at(-1)).toBe(engine.requiredSchemaVersion);
    expect(await engine.schemaVersion()).toBe(engine.requiredSchemaVersion);
  });

  it('migrate() is idempotent, also from another process', async () => {
    const db = await fresh();
    await db.open().migrate();
    expect(await db.open().migrate()).toEqual([]);
    expect(await db.open().schemaVersion()).toBe(db.open().requiredSchemaVersion);
  });

  it('concurrent migrate() calls apply each version once in total', async () => {
    const db = await fresh();
    const [a, b] = [db.open(), db.open()];
    const results = await Promise.all([a.migrate(), b.migrate()]);
    const all = results.flat().sort((x, y) => x - y);
    expect(new Set(all).size).toBe(all.length);
    expect(all.at(-1)).toBe(a.requiredSchemaVersion);
    expect(await b.schemaVersion()).toBe(b.requiredSchemaVersion);
  });

  it('claim(): the owner may claim again, any other core is refused, across processes', async () => {
    const db = await fresh();
    const first = db.open();
    await first.migrate();
    await first.claim('core-a');
    await first.claim('core-a');
    await db.open().claim('core-a');
    await expect(db.open().claim('core-b')).rejects.toThrow();
    await expect(first.claim('core-b')).rejects.toThrow();
  });

  it('claim(): of several cores claiming at once, exactly one wins', async () => {
    const db = await fresh();
    await db.open().migrate();
    const outcomes = await Promise.allSettled(['core-1', 'core-2', 'core-3'].map((id) => db.open().claim(id)));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
  });

  it('health(): not ok before migration (schema not up to date), ok after, within the timeout', async () => {
    const engine = (await fresh()).open();
    const before = await engine.health(2000);
    expect(before.ok).toBe(false);
    expect(before.detail).not.toBe('');
    await engine.migrate();
    const started = Date.now();
    const after = await engine.health(2000);
    expect(after.ok).toBe(true);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('close() releases the engine and may be called again', async () => {
    const engine = (await fresh()).open();
    await engine.migrate();
    await engine.close();
    await expect(engine.schemaVersion()).rejects.toThrow();
    await engine.close();
  });
});
