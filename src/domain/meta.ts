
/** API version reported in `meta.apiVersion` and the API-Version header (Pryv API ≥ 1.6 semantics). */
export const API_VERSION = '2.0.0';

export interface Meta {
  apiVersion: string;
  serverTime: number;
  serial: string;
}

/** The envelope every JSON answer carries (SDKs throw when `meta.serverTime` is missing). */
export function meta(serial: string): Meta {
  return { apiVersion: API_VERSION, serverTime: Date.now() / 1000, serial };
}

