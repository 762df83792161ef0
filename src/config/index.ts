export { loadConfig, validateConfig, ConfigError, envKeyToPath, envOverrides, workerConfig, WORKER_CONFIG_ENV } from './load.js';
export type { Config } from './schema.js';
