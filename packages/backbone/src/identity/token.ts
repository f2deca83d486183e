import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { unauthenticated } from '../errors/errors.ts';

/**
 * Platform-signed department tokens: compact JWS, alg EdDSA (Ed25519). The platform operator
 * holds the private key and issues a token per departmental system; services only hold the
 * public key. Claims: sub = department id, plt = platform id, iat/exp in seconds.
 */
export interface TokenClaims {
  sub: string;
  plt: string;
  iat: number;
  exp: number;
}

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const HEADER = b64u(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));

export const issueToken = (privateKeyPem: string, claims: Omit<TokenClaims, 'iat' | 'exp'> & { ttlSeconds: number; now?: Date }): string => {
  const iat = Math.floor((claims.now ?? new Date()).getTime() / 1000);
  const body = b64u(JSON.stringify({ sub: claims.sub, plt: claims.plt, iat, exp: iat + claims.ttlSeconds }));
  const sig = sign(null, Buffer.from(`${HEADER}.${body}`), createPrivateKey(privateKeyPem));
  return `${HEADER}.${body}.${b64u(sig)}`;
};

export class TokenVerifier {
  readonly #key: KeyObject;
  readonly #platform: string;
  constructor(publicKeyPem: string, platform: string) {
    this.#key = createPublicKey(publicKeyPem);
    this.#platform = platform;
  }

  verify(token: string, now: Date): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw unauthenticated('malformed token');
    const [h, b, s] = parts as [string, string, string];
    if (h !== HEADER) throw unauthenticated('unsupported token header (EdDSA JWS expected)');
    if (!verify(null, Buffer.from(`${h}.${b}`), this.#key, Buffer.from(s, 'base64url'))) throw unauthenticated('bad token signature');
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(b, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      throw unauthenticated('malformed token claims');
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw unauthenticated('token lacks sub or exp');
    if (claims.plt !== this.#platform) throw unauthenticated(`token is for platform ${claims.plt}, not ${this.#platform}`);
    if (claims.exp * 1000 <= now.getTime()) throw unauthenticated('token expired');
    return claims;
  }
}

export const generateTokenKeys = (): { privateKeyPem: string; publicKeyPem: string } => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
  };
};

/** Reads "Bearer <token>" from an authorization header value. */
export const bearer = (header: string | undefined): string => {
  if (header === undefined || header === '') throw unauthenticated('missing authorization header (Bearer token)');
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  if (m === null) throw unauthenticated('authorization header must be "Bearer <token>"');
  return m[1]!;
};
