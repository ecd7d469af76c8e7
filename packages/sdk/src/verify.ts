// The offline verifiers: pure TypeScript over node:crypto, bundled as they are so the SDK
// checks receipts and settlement proofs with no Nest, database or network.
export {
  verifyReceipt,
  verifyAttestation,
  verifyReceiptChain,
  verifyBatch,
  verifyBatchLink,
  verifyTransferProof,
  verifyAccountProof,
  type ReceiptDocument,
  type ReceiptPublicKey,
  type ReceiptCheck,
  type ChainCheck,
  type SealedBatch,
  type BatchStatement,
  type TransferProof,
  type AccountProof,
  type PublicKeyRef,
  type Verdict,
} from '../../../libs/receipts/src/offline/index';
