// The contract every MetadataStore implementation passes, run unchanged
// against memory, embedded and etcd. It uses nothing but the interface.
import { afterEach, beforeEach, describe } from '@jest/globals';
import type { MetadataStore } from '../metadata-store.js';
import { chunkLookupsContract } from './contract-chunk-lookups.js';
import type { ContractContext } from './contract-fixtures.js';
import { filesContract } from './contract-files.js';
import { listingContract } from './contract-listing.js';
import { sessionsContract } from './contract-sessions.js';
import { treeContract } from './contract-tree.js';

export interface MetadataContractOptions {
  /** Also run the slow tests: 100,000-entry listings and a 200,000-chunk file. */
  large?: boolean;
}

/**
 * Declares the contract suite as a jest `describe` block named `name`.
 *
 * `open()` is called before EACH test and must return a fresh, empty store
 * (for etcd: a new key prefix); the suite closes it after the test. Tests never
 * share state, so they can be run or skipped one by one.
 */
export function describeMetadataContract(name: string, open: () => Promise<MetadataStore>, options: MetadataContractOptions = {}): void {
  describe(`MetadataStore contract: ${name}`, () => {
    let current: MetadataStore | undefined;
    const ctx: ContractContext = {
      get store(): MetadataStore {
        if (!current) throw new Error('the contract store is only available inside a test');
        return current;
      },
      large: options.large ?? false,
    };
    beforeEach(async () => {
      current = await open();
    });
    afterEach(async () => {
      const store = current;
      current = undefined;
      await store?.close();
    });

    filesContract(ctx);
    treeContract(ctx);
    listingContract(ctx);
    sessionsContract(ctx);
    chunkLookupsContract(ctx);
  });
}
