import { siphonRoles, type SiphonRole } from './roles.js';

/**
 * Who is asking, as the handlers see it: the signed-in principal App Service Authentication
 * passed in (see clientPrincipal.ts), or the developer at the local runtime. The registry's
 * wrapper works it out once per request and hands it to the handler, so no handler reads
 * headers for it.
 */
export type Caller = {
  /** A person's name claim (usually the UPN), an application's client id, or `local`. */
  readonly name: string;
  /** Effective roles (see effectiveRoles): Siphon.Operator implies Siphon.Reader. */
  readonly roles: readonly SiphonRole[];
  /** Entra ID group object ids from the token's groups claim, lowercase. */
  readonly groups: readonly string[];
  /**
   * The token names no groups because the principal is in more than a token can list (Entra
   * ID's group overage: `_claim_names`/`hasgroups` instead of `groups`). Membership is then
   * unknown, and owner-scoped changes are refused rather than guessed.
   */
  readonly groupsOverage: boolean;
  /** The local runtime's caller without sign-in (SIPHON_LOCAL_NO_SIGN_IN): allowed everything. */
  readonly local: boolean;
};

export const localCaller: Caller = { name: 'local', roles: [...siphonRoles], groups: [], groupsOverage: false, local: true };

/** GET /api/me's answer (see the contract in README): who the API takes the caller to be. */
export function callerBody(caller: Caller) {
  return { name: caller.name, roles: [...caller.roles], groups: [...caller.groups], local: caller.local, ...(caller.groupsOverage ? { groupsOverage: true } : {}) };
}
