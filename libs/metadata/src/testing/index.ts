// The MetadataStore contract suite, for implementations' specs:
// `import { describeMetadataContract } from '@dfs/metadata/testing'`.
export { describeMetadataContract, type MetadataContractOptions } from './metadata-contract.js';
