import type { HttpRequest } from '@azure/functions';
import { problem, type Parsed } from '../problem.js';
import { runsWithoutSignIn } from '../../settings.js';
import { clientPrincipalHeader, parseClientPrincipal } from './clientPrincipal.js';
import { localCaller, type Caller } from './caller.js';
import { roleFor, SiphonRole } from './roles.js';

/**
 * The registry's check before any handler that needs a role (see `http` in src/registry.ts):
 * - no principal: the local caller where the app runs locally (SIPHON_LOCAL_NO_SIGN_IN=true),
 *   else 401 (in Azure App Service Authentication turns such requests away first; this is the
 *   app's own line behind it);
 * - a malformed principal: 401;
 * - a principal without the role: 403 naming the role. A principal is enforced locally too, so
 *   the local runtime can be used to try roles end to end by sending the header.
 */
export function authorizeRequest(request: HttpRequest, access: keyof typeof roleFor, env: NodeJS.ProcessEnv = process.env): Parsed<Caller> {
  const header = request.headers.get(clientPrincipalHeader);
  if (header === null) {
    if (runsWithoutSignIn(env)) return { ok: true, value: localCaller };
    return {
      ok: false,
      response: problem(401, 'Sign-in required', 'X-MS-CLIENT-PRINCIPAL: no signed-in principal; the API is reached through App Service Authentication (Entra ID): sign in in the browser, or send an Entra ID token for the app', undefined, {
        'www-authenticate': 'Bearer',
      }),
    };
  }
  const caller = parseClientPrincipal(header);
  if (!caller.ok) return caller;
  const needed = roleFor[access];
  if (!caller.value.roles.includes(needed)) return { ok: false, response: forbidden(caller.value, needed) };
  return caller;
}

function forbidden(caller: Caller, needed: SiphonRole) {
  const held = caller.roles.length ? `you hold ${caller.roles.join(', ')}` : 'you hold no Siphon role';
  const does = needed === SiphonRole.operator ? 'create, change, run, cancel and delete pipelines and run queries' : 'see pipelines and runs';
  return problem(403, `The ${needed} role is needed`, `roles: ${needed} is needed to ${does}; ${held} (${caller.name}); an admin assigns it to you or your group in the Siphon app registration`);
}
