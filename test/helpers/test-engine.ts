import { inject } from 'vitest';
import { engineFixtures } from '../engines/fixtures.js';

/**
 * A fresh database of the engine `TEST_STORAGE_ENGINE` names (docs/testing.md), for the cores the
 * tests start; null for PostgreSQL (the default), whose database core-starting.ts makes itself.
 */
export async function testEngineDatabase(): Promise<{ env: Record<string, string>; drop: () => Promise<void> } | null> {
  const name = process.env['TEST_STORAGE_ENGINE'] ?? 'postgresql';
  if (name === 'postgresql') return null;
  const fixture = (await engineFixtures()).find((f) => f.name === name);
  if (fixture === undefined) throw new Error(`TEST_STORAGE_ENGINE=${name}: no such engine in this build`);
  return fixture.freshDatabase(inject('engineServers')[fixture.name]);
}
