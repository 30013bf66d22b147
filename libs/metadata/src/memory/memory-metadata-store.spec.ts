import { describeMetadataContract } from '../testing/index.js';
import { MemoryMetadataStore } from './memory-metadata-store.js';

describeMetadataContract('memory', async () => new MemoryMetadataStore(), { large: true });
