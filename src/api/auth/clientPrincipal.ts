import { z } from 'zod';
import { problem, type Parsed } from '../problem.js';
import { formatZodError } from '../../spec/formatZodError.js';
import { effectiveRoles } from './roles.js';
import type { Caller } from './caller.js';

/**
 * The header App Service Authentication ("Easy Auth") puts on every request it let through
 * with a signed-in principal: base64 of `{auth_typ, name_typ, role_typ, claims: [{typ, val}]}`.
 *
 * Trusting it is safe ONLY behind Easy Auth: it drops any X-MS-CLIENT-PRINCIPAL a client sends
 * and sets its own ("External requests aren't allowed to set these headers, so they're present
 * only if set by App Service": learn.microsoft.com/azure/app-service/configure-authentication-user-identities).
 * In Azure, infra/modules/functionApp.bicep turns Easy Auth on for every path but /api/health.
 * Locally there is no Easy Auth and anyone on the machine can send the header, which is why a
 * principal there can only take rights away (the local caller without one may do everything).
 */
export const clientPrincipalHeader = 'x-ms-client-principal';

const claimSchema = z.object({ typ: z.string().max(2_000), val: z.string().max(20_000) });

export const clientPrincipalSchema = z.object({
  auth_typ: z.string().max(200),
  name_typ: z.string().max(2_000).nullish(),
  role_typ: z.string().max(2_000).nullish(),
  claims: z.array(claimSchema).max(5_000),
});

export type ClientPrincipal = z.infer<typeof clientPrincipalSchema>;

/** A header longer than this is not one Easy Auth wrote (Entra ID tokens stay well below it). */
const maxHeaderLength = 100_000;

/**
 * Claim types, as Entra ID tokens name them and as Easy Auth's claims mapping may rename them:
 * the header's own role_typ/name_typ first, then the names seen in practice (role_typ is often
 * the long URI while the claims say `roles`).
 */
const roleClaimTypes = ['roles', 'role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];
const groupClaimTypes = ['groups', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/groups'];
const nameClaimTypes = [
  'preferred_username',
  'upn',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/upn',
  'email',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  'name',
  'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  // An application signed in with client credentials has no name: its client id names it.
  'azp',
  'appid',
  'oid',
  'http://schemas.microsoft.com/identity/claims/objectidentifier',
];

/** The caller a well-formed header describes; a malformed one is a 401 naming the header, never a 500. */
export function parseClientPrincipal(header: string): Parsed<Caller> {
  const principal = decodeClientPrincipal(header);
  if (!principal.ok) return { ok: false, response: malformed(principal.reason) };
  return { ok: true, value: callerOf(principal.value) };
}

function decodeClientPrincipal(header: string): { ok: true; value: ClientPrincipal } | { ok: false; reason: string } {
  const text = header.trim();
  if (text.length === 0) return { ok: false, reason: 'empty' };
  if (text.length > maxHeaderLength) return { ok: false, reason: `longer than ${maxHeaderLength} characters` };
  // Buffer.from(_, 'base64') skips characters it does not know; check the alphabet first.
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text)) return { ok: false, reason: 'not base64' };
  let json: string;
  try {
    json = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(text, 'base64'));
  } catch {
    return { ok: false, reason: 'not base64 of UTF-8 text' };
  }
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return { ok: false, reason: 'not base64 of JSON' };
  }
  const parsed = clientPrincipalSchema.safeParse(value);
  if (!parsed.success) return { ok: false, reason: formatZodError(parsed.error) };
  return { ok: true, value: parsed.data };
}

function callerOf(principal: ClientPrincipal): Caller {
  const valuesOf = (types: Array<string | null | undefined>) => {
    const wanted = new Set(types.filter((type): type is string => !!type));
    return principal.claims.filter((claim) => wanted.has(claim.typ)).map((claim) => claim.val);
  };
  const name = [principal.name_typ, ...nameClaimTypes].map((type) => (type ? valuesOf([type])[0] : undefined)).find((value) => value);
  return {
    name: name ?? 'unknown',
    roles: effectiveRoles(valuesOf([principal.role_typ, ...roleClaimTypes])),
    groups: [...new Set(valuesOf(groupClaimTypes).map((group) => group.toLowerCase()))],
    groupsOverage: hasGroupOverage(principal),
    local: false,
  };
}

/**
 * Entra ID leaves the groups out of a token when there are too many (over 200 in a JWT) and
 * says so instead: `_claim_names` pointing `groups` at a Graph source, or `hasgroups: true`
 * (implicit flow), or a groups.link claim (SAML).
 */
function hasGroupOverage(principal: ClientPrincipal): boolean {
  return principal.claims.some((claim) => {
    if (claim.typ === 'hasgroups') return claim.val.toLowerCase() === 'true';
    if (claim.typ === 'http://schemas.microsoft.com/claims/groups.link') return true;
    if (claim.typ !== '_claim_names') return false;
    try {
      const names: unknown = JSON.parse(claim.val);
      return typeof names === 'object' && names !== null && 'groups' in names;
    } catch {
      return /"groups"/.test(claim.val);
    }
  });
}

function malformed(reason: string) {
  return problem(401, 'Sign-in not understood', `X-MS-CLIENT-PRINCIPAL: the signed-in principal header is malformed (${reason}); sign in again`, undefined, { 'www-authenticate': 'Bearer' });
}
