import { forbidden, unauthenticated } from '../errors/errors.ts';
import type { Clock } from '../time/clock.ts';
import { bearer, type TokenVerifier } from './token.ts';
import type { Department, Directory, Role } from './platform.ts';

/** The authenticated department behind a call or an ingested event. */
export interface Principal {
  department: Department;
}

export class Authenticator {
  readonly #verifier: TokenVerifier;
  readonly #directory: Directory;
  readonly #clock: Clock;
  constructor(verifier: TokenVerifier, directory: Directory, clock: Clock) {
    this.#verifier = verifier;
    this.#directory = directory;
    this.#clock = clock;
  }

  /** Roles come from the directory, not the token, so revoking a role needs no new token. */
  authenticate(authorizationHeader: string | undefined): Principal {
    const claims = this.#verifier.verify(bearer(authorizationHeader), this.#clock.now());
    const department = this.#directory.get(claims.sub);
    if (department === undefined) throw unauthenticated(`department ${claims.sub} is not in the platform directory`);
    return { department };
  }
}

export const requireRole = (p: Principal, role: Role, rule?: string): void => {
  if (!p.department.roles.includes(role)) throw forbidden(`department ${p.department.id} lacks the ${role} role`, rule);
};
