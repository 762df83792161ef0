import type { CoreRecord } from '../../platform/cores.js';
import type { Services } from '../context.js';

/**
 * Discovery (Pryv API §4.3–4.6): where a user lives, answered the same by every core through
 * `platform.homeCoreOf()` (one rqlite round trip, cached per process with epoch invalidation).
 */
export function thisCoreUrl(services: Services): string {
  return services.config.core.url ?? services.config.platform.publicUrl;
}

/** The home core URL of a registered user, or null. */
export async function coreUrlOfUser(services: Services, username: string): Promise<string | null> {
  return (await services.platform.homeCoreOf(username.toLowerCase()))?.url ?? null;
}

/** The home core URL of an email's owner; this core's URL for unknown emails (no enumeration). */
export async function coreUrlOfEmail(services: Services, email: string): Promise<string> {
  const owner = await services.platform.usernameFor('email', email.toLowerCase());
  return (owner === null ? null : await coreUrlOfUser(services, owner)) ?? thisCoreUrl(services);
}

interface HostingView { name: string; available: boolean; availableCore: string }
interface ZoneView { name: string; hostings: Record<string, HostingView> }
interface RegionView { name: string; zones: Record<string, ZoneView> }
interface Hosting { region: string; zone: string; name: string; cores: CoreRecord[] }

/**
 * `/reg/hostings`: every hosting of the cores table under its region and zone (Pryv's
 * `regions → zones → hostings`), available if one of its cores is, with its least-loaded available
 * core. This core's own region, zone and hosting come first (the SDK's `hosting: 'auto'` takes the
 * first available one). A hosting's place is read from its first core by id; cores of one hosting are
 * expected to share it.
 */
export async function hostings(services: Services): Promise<{ regions: Record<string, RegionView> }> {
  const r = services.config.registration;
  const byKey = new Map<string, Hosting>([[r.hosting, { region: r.region, zone: r.zone, name: r.hostingName, cores: [] }]]);
  const cores = [...(await services.platform.cachedCores())].sort((x, y) => x.id.localeCompare(y.id));
  for (const c of cores) {
    const h = byKey.get(c.hosting) ?? { region: c.region ?? 'default', zone: c.zone ?? 'default', name: c.hostingName ?? c.hosting, cores: [] };
    h.cores.push(c);
    byKey.set(c.hosting, h);
  }
  const regions: Record<string, RegionView> = {};
  for (const [key, h] of byKey) {
    const available = h.cores.filter((c) => c.available).sort((x, y) => x.userCount - y.userCount || x.id.localeCompare(y.id));
    const region = regions[h.region] ?? { name: h.region, zones: {} };
    regions[h.region] = region;
    const zone = region.zones[h.zone] ?? { name: h.zone, hostings: {} };
    region.zones[h.zone] = zone;
    zone.hostings[key] = { name: h.name, available: available.length > 0, availableCore: available[0]?.url ?? h.cores[0]?.url ?? thisCoreUrl(services) };
  }
  return { regions };
}
