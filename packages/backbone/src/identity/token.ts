import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { unauthenticated } from '../errors/errors.ts';

/**
 * Platform-signed department tokens: compact JWS, alg EdDSA (Ed25519). The platform operator
 * holds the private key and issues a token per departmental system; services only hold the
 * public key (during a key rotation, more than one). Claims: sub = department id, plt = platform
 * id, iat/exp (and optionally nbf) in seconds.
 *
 * Issue 13, defect 9: a token lives at most `maxLifetimeSeconds` (exp - iat; 12 h by default), so a
 * stolen or forgotten token cannot outlive a working day; iat and nbf are checked against the
 * service's clock with `skewSeconds` of tolerance for clocks that drift apart.
 */
export interface TokenClaims {
  sub: string;
  plt: string;
  iat: number;
  exp: number;
  nbf?: number;
}

export const TOKEN_MAX_LIFETIME_SECONDS = 12 * 3600;
export const TOKEN_CLOCK_SKEW_SECONDS = 60;

const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
const HEADER = b64u(JSON.stringify({ alg: 'EdDSA', typ: 'JWT' }));

export const issueToken = (privateKeyPem: string, claims: Omit<TokenClaims, 'iat' | 'exp' | 'nbf'> & { ttlSeconds: number; now?: Date; notBefore?: Date }): string => {
  const iat = Math.floor((claims.now ?? new Date()).getTime() / 1000);
  const nbf = claims.notBefore === undefined ? {} : { nbf: Math.floor(claims.notBefore.getTime() / 1000) };
  const body = b64u(JSON.stringify({ sub: claims.sub, plt: claims.plt, iat, ...nbf, exp: iat + claims.ttlSeconds }));
  const sig = sign(null, Buffer.from(`${HEADER}.${body}`), createPrivateKey(privateKeyPem));
  return `${HEADER}.${body}.${b64u(sig)}`;
};

export class TokenVerifier {
  readonly #keys: KeyObject[];
  readonly #platform: string;
  readonly #maxLifetime: number;
  readonly #skew: number;
  constructor(publicKeyPems: string | readonly string[], platform: string, opts: { maxLifetimeSeconds?: number; skewSeconds?: number } = {}) {
    this.#keys = (typeof publicKeyPems === 'string' ? [publicKeyPems] : publicKeyPems).map((k) => createPublicKey(k));
    this.#platform = platform;
    this.#maxLifetime = opts.maxLifetimeSeconds ?? TOKEN_MAX_LIFETIME_SECONDS;
    this.#skew = opts.skewSeconds ?? TOKEN_CLOCK_SKEW_SECONDS;
  }

  verify(token: string, now: Date): TokenClaims {
    const parts = token.split('.');
    if (parts.length !== 3) throw unauthenticated('malformed token');
    const [h, b, s] = parts as [string, string, string];
    if (h !== HEADER) throw unauthenticated('unsupported token header (EdDSA JWS expected)');
    const signed = Buffer.from(`${h}.${b}`);
    const sig = Buffer.from(s, 'base64url');
    if (!this.#keys.some((k) => verify(null, signed, k, sig))) throw unauthenticated('bad token signature');
    let claims: TokenClaims;
    try {
      claims = JSON.parse(Buffer.from(b, 'base64url').toString('utf8')) as TokenClaims;
    } catch {
      throw unauthenticated('malformed token claims');
    }
    if (typeof claims.sub !== 'string' || typeof claims.exp !== 'number') throw unauthenticated('token lacks sub or exp');
    if (claims.plt !== this.#platform) throw unauthenticated(`token is for platform ${claims.plt}, not ${this.#platform}`);
    if (claims.exp * 1000 <= now.getTime()) throw unauthenticated('token expired');
    if (typeof claims.iat !== 'number' || !Number.isFinite(claims.iat)) throw unauthenticated('token lacks iat (its lifetime cannot be bounded)');
    const nowS = now.getTime() / 1000;
    if (claims.iat > nowS + this.#skew) throw unauthenticated('token issued in the future (iat after the service clock)');
    if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > nowS + this.#skew)) throw unauthenticated('token not valid yet (nbf)');
    if (claims.exp - claims.iat > this.#maxLifetime) throw unauthenticated(`token lifetime ${claims.exp - claims.iat} s is over the ${this.#maxLifetime} s bound`);
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
