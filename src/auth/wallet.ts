/**
 * Wallet login of the seed API (merod ≤ 0.7.0): `POST /admin-api/request-challenge`,
 * `POST /admin-api/add-client-key`, `POST /admin-api/root-key`, `GET|DELETE /admin-api/did`,
 * `DELETE /admin-api/identity/keys`. Split by concern under ./wallet/: request schemas, the node's challenges, wallet signatures (NEAR, ETH),
 * the key store, and the login service around them; the node mounts the routes. Supported wallets: NEAR (ed25519 over the NEP-413-style borsh payload) and
 * ETH/MetaMask (secp256k1 `personal_sign` with address recovery). STARKNET and ICP parse but are refused
 * with "Unsupported wallet type." (they need network calls upstream).
 */
export * from './wallet/schemas.ts';
export * from './wallet/challenge.ts';
export * from './wallet/signatures.ts';
export * from './wallet/keys.ts';
export * from './wallet/login.ts';
