import { ConfigError } from './config-error.js';

/** Exit code for a configuration error (sysexits EX_CONFIG): supervisors can tell it from a crash. */
export const EXIT_CONFIG = 78;

/**
 * For a service's main(): the config from `load()`, or, when it is invalid,
 * every problem printed to stderr and the process ended with exit code 78.
 * Other errors propagate.
 */
export function loadConfigOrExit<T>(service: string, load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${service}: invalid configuration\n${err.rawMessage}\n`);
      process.exit(EXIT_CONFIG);
    }
    throw err;
  }
}
