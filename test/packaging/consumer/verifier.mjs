// The hub's verifiers as installed: which backend the inline checks and the worker threads
// use, and that both answer right (a valid and a tampered signature, checked on the threads
// under load and inline). Prints JSON on its last line.
import { createWorkerPoolVerifier, nativeSecp256k1Verifier, systemRandomBytes } from '@trickle/hub';
import { createSecretKey, createSigner } from '@trickle/protocol';

const signer = createSigner(createSecretKey(systemRandomBytes), { randomBytes: systemRandomBytes });
const message = new TextEncoder().encode('voucher');
const valid = signer.sign(message);
const tampered = new Uint8Array(valid);
tampered[40] ^= 1;
const pool = createWorkerPoolVerifier({ threads: 2, startNow: true });
const answers = await Promise.all(
  Array.from({ length: 200 }, (_, i) => pool.verify(i % 2 === 0 ? valid : tampered, message, signer.publicKey)),
);
await pool.close();
const right = answers.every((answer, i) => answer === (i % 2 === 0));
console.log(JSON.stringify({ inline: nativeSecp256k1Verifier()?.name ?? 'none', threads: pool.name, right }));
