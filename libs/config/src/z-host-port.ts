import { HOST_PORT_PATTERN } from '@dfs/proto';
import { z } from 'zod';

/** A node address as peers dial it: host:port (the contract's HOST_PORT_PATTERN). */
export const zHostPort = z.string().regex(HOST_PORT_PATTERN, 'expected host:port');
