import { TableMetadataStore } from '../table-metadata-store.js';
import { MemoryTables } from './memory-tables.js';

/**
 * A MetadataStore in memory, for unit tests: nothing survives the process.
 * Each write runs synchronously to completion, which makes it atomic (all
 * checks come before any change), so concurrent calls cannot interleave.
 */
export class MemoryMetadataStore extends TableMetadataStore {
  readonly backend = 'memory';

  constructor() {
    super(new MemoryTables(), async (op) => op());
  }
}
