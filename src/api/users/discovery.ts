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

/** `/reg/hostings`: this core's hosting, available if any core of it is, with its least-loaded core. */
export async function hostings(services: Services): Promise<Record<string, unknown>> {
  const r = services.config.registration;
  const cores = (await services.platform.cachedCores()).filter((c) => c.hosting === r.hosting && c.available);
  const least = [...cores].sort((a, b) => a.userCount - b.userCount || a.id.localeCompare(b.id))[0];
  return {
    regions: {
      [r.region]: {
        name: r.region,
        zones: {
          [r.zone]: {
            name: r.zone,
            hostings: { [r.hosting]: { name: r.hostingName, available: cores.length > 0, availableCore: least?.url ?? thisCoreUrl(services) } },
          },
        },
      },
    },
  };
}
