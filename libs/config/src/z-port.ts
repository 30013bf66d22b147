import { z } from 'zod';

/** What a port must look like; used in every error about one. */
export const PORT_EXPECTED = 'expected an integer from 0 to 65535';

/**
 * A TCP port, 0 to 65535, where 0 asks the OS for an ephemeral port (tests).
 * Numeric strings are accepted, so a port read from the environment works
 * whatever the schema around it does.
 */
export const zPort = z.preprocess(
  (value) => (typeof value === 'string' && value.trim() !== '' ? Number(value) : value),
  z.int({ error: PORT_EXPECTED }).min(0, { error: PORT_EXPECTED }).max(65535, { error: PORT_EXPECTED }),
);
