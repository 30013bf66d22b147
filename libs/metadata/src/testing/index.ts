// The MetadataStore contract suite, for implementations' specs:
// `import { describeMetadataContract } from '@dfs/metadata/testing'`.
// Other projects' specs that fill a store directly open each upload first
// (commitFile needs it open): openUpload, or commitUpload for both steps.
export { describeMetadataContract, type MetadataContractOptions } from './metadata-contract.js';
export { commitUpload, openUpload } from './contract-fixtures.js';
