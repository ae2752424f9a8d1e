import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import * as secp from '@noble/secp256k1';

// noble-secp256k1 v3 ships without sync hashes; its sync sign/verify/keygen throw until they are
// wired. Every domain module imports secp256k1 through here so the wiring happens exactly once.
secp.hashes.sha256 = sha256;
secp.hashes.hmacSha256 = (key, message) => hmac(sha256, key, message);

export { secp };
