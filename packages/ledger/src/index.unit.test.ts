import { it } from "node:test";
import assert from "node:assert/strict";
import * as ledger from "@govmesh/ledger";

it("exposes the package API through the workspace entry point", () => {
  // One end-to-end pass over the public surface: leaf -> tree -> signed checkpoint -> proof.
  const fields: ledger.LeafFields = {
    originPlatform: "tax",
    topic: "tax.person.v1",
    partition: 0,
    offset: "0",
    ceId: "1",
    ceType: "t",
    ceSource: "/s",
    ceSubject: "",
    ceTime: "",
    ceSpecversion: "1.0",
    ceCorrelationid: "",
    ceCausationid: "",
    ingestTime: "2025-01-01T00:00:00Z",
    schemaFingerprint: new Uint8Array(8),
    value: new Uint8Array([1, 2, 3]),
  };
  const hashes = [0, 1, 2].map((i) => ledger.leafHash(ledger.encodeLeaf({ ...fields, offset: String(i) })));
  const range = new ledger.CompactRange();
  hashes.forEach((h) => range.append(h));
  const { signer } = ledger.generateSigner("audit.example/ledger");
  const note = ledger.signNote(
    ledger.formatCheckpoint({ origin: signer.name, size: range.size, rootHash: range.root() }),
    signer,
  );
  const { checkpoint } = ledger.openCheckpoint(note, [ledger.verifierFromVkey(signer.vkey)], signer.name);
  const proof = ledger.inclusionProof(1, checkpoint.size, (i) => hashes[i] as Buffer);
  ledger.verifyInclusion(hashes[1] as Buffer, 1, checkpoint.size, proof, checkpoint.rootHash);
  assert.equal(ledger.decodeLeaf(ledger.encodeLeaf(fields)).topic, "tax.person.v1");
});
