import type { Config } from '../../config/index.js';
import { accessUrl, assetsDefinitionsUrl, registerUrl, subdomainUrl } from '../endpoints.js';
import { API_VERSION } from '../../domain/meta.js';

/** Service info (Pryv API §4.1): what the SDK reads to find every other URL. */
export function serviceInfo(config: Readonly<Config>): Record<string, unknown> {
  const api = config.platform.dnsLess || config.platform.domain === null
    ? `${config.platform.publicUrl}{username}/`
    : subdomainUrl(config, '{username}');
  // No `noHF`: the series routes are served on the API port itself (src/http/series-routes.ts), not
  // only by HFS workers, so HF is available wherever this code runs, even with cluster.hfsWorkers 0.
  // contentQueries: events.get filters on `content` / `clientData` (domain/content-query.ts).
  const features: Record<string, boolean> = { contentQueries: true };
  return {
    serial: config.service.serial,
    name: config.service.name,
    api,
    register: registerUrl(config),
    access: accessUrl(config),
    home: config.service.home,
    support: config.service.support,
    terms: config.service.terms,
    eventTypes: config.service.eventTypes,
    version: API_VERSION,
    assets: { definitions: assetsDefinitionsUrl(config) },
    features,
  };
}
