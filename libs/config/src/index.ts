// Shared config loading for every DFS service: defaults < YAML file < env,
// validated by a zod schema, with errors an operator can act on.
export { loadConfig, type LoadConfigOptions } from './load-config.js';
export { ConfigError } from './config-error.js';
export { zSize, parseSize } from './z-size.js';
export { zDuration, parseDuration } from './z-duration.js';
export { zPort } from './z-port.js';
export { zHostPort } from './z-host-port.js';
export { EXIT_CONFIG, loadConfigOrExit } from './load-config-or-exit.js';
export { SERVICE_NODE_ARGS } from './service-node-args.js';
