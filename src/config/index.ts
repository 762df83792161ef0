export { loadConfig, validateConfig, ConfigError, envKeyToPath, envOverrides } from './load.js';
export type { Config } from './schema.js';
