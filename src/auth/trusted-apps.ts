/** `appIdPattern@originPattern` entries (comma-separated), `*` wildcards (Pryv API §3.6). */
export function parseTrustedApps(setting: string, ownUrls: string | readonly string[]): { app: RegExp; origin: RegExp }[] {
  const entries = setting.split(',').map((e) => e.trim()).filter((e) => e !== '');
  // The platform's own origins are always trusted: the SDK's Service.login sends its register URL
  // (in subdomain mode `reg.{domain}`, not the public URL's host).
  for (const url of typeof ownUrls === 'string' ? [ownUrls] : ownUrls) entries.push(`*@${new URL(url).origin}*`);
  return entries.map((entry) => {
    const at = entry.indexOf('@');
    const [app, origin] = at === -1 ? [entry, '*'] : [entry.slice(0, at), entry.slice(at + 1)];
    return { app: wildcard(app), origin: wildcard(origin) };
  });
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export function isTrustedApp(rules: { app: RegExp; origin: RegExp }[], appId: string, origin: string | null): boolean {
  const o = origin ?? '';
  return rules.some((r) => r.app.test(appId) && r.origin.test(o));
}
