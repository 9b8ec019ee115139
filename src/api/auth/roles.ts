/**
 * The app roles of Siphon's Entra ID app registration (README: Sign-in and roles). Their values
 * are what a token's `roles` claim carries, so they must match the registration exactly.
 */
export const SiphonRole = {
  /** Sees everything: pipelines, runs, timelines, plans, watermarks, the overview. */
  reader: 'Siphon.Reader',
  /** Changes things: creates, edits, runs, cancels and deletes pipelines, and runs ad-hoc queries. */
  operator: 'Siphon.Operator',
} as const;

export type SiphonRole = (typeof SiphonRole)[keyof typeof SiphonRole];

export const siphonRoles: readonly SiphonRole[] = [SiphonRole.reader, SiphonRole.operator];

/**
 * What an HTTP function needs from its caller: nothing (`public`: health, and the dashboard's
 * files, whose page App Service Authentication guards by itself), or one of the roles.
 */
export type Access = 'public' | 'reader' | 'operator';

export const roleFor: Record<Exclude<Access, 'public'>, SiphonRole> = { reader: SiphonRole.reader, operator: SiphonRole.operator };

/**
 * The roles a set of assigned roles amounts to: an operator may read too (nobody changes what
 * they cannot see), so Siphon.Operator alone is enough for every read.
 */
export function effectiveRoles(assigned: Iterable<string>): SiphonRole[] {
  const held = new Set(assigned);
  return siphonRoles.filter((role) => held.has(role) || (role === SiphonRole.reader && held.has(SiphonRole.operator)));
}
