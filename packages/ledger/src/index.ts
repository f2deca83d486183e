// Public API of @govmesh/ledger: the audit ledger's hashing, leaf format and
// signed checkpoints, shared by the audit service and the offline verifier.

export {
  HASH_SIZE,
  MerkleProofError,
  emptyRoot,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  CompactRange,
  SubtreeHashCache,
  inclusionProof,
  consistencyProof,
  inclusionProofLength,
  consistencyProofLength,
  rootFromInclusionProof,
  verifyInclusion,
  verifyConsistency,
} from "./merkle.ts";
export type { LeafHashFn, TreeHashSource } from "./merkle.ts";

export { LEAF_FORMAT_VERSION, LeafFormatError, encodeLeaf, decodeLeaf } from "./leaf.ts";
export type { LeafFields } from "./leaf.ts";

export {
  ALG_ED25519,
  ALG_COSIGNATURE_V1,
  MAX_NOTE_SIGNATURES,
  NoteError,
  isValidKeyName,
  keyHash,
  formatVkey,
  parseVkey,
  noteVerifier,
  verifierFromVkey,
  signerFromPrivateKey,
  signerFromSeed,
  signerFromSkey,
  formatSkey,
  generateSigner,
  formatCheckpoint,
  parseCheckpoint,
  parseNote,
  signNote,
  addNoteSignature,
  openNote,
  openCheckpoint,
  cosignerFromSeed,
  generateCosigner,
  cosignatureTimestamp,
  verifyCosignature,
  cosignatureVerifier,
  cosignNote,
} from "./checkpoint.ts";
export type {
  ParsedVkey,
  NoteVerifier,
  NoteSigner,
  GeneratedSigner,
  Checkpoint,
  NoteSignature,
  ParsedNote,
  OpenedNote,
  Cosigner,
} from "./checkpoint.ts";

export { LEAF_FORMAT_VERSION_2, encodeLeafV2, decodeLeafV2, decodeAnyLeaf, leafHeaderText } from "./leaf-v2.ts";
export type { LeafHeader, RecordLeafInput, LeafV2, AnyLeaf } from "./leaf-v2.ts";
