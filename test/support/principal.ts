/**
 * X-MS-CLIENT-PRINCIPAL as App Service Authentication writes it for an Entra ID sign-in: the
 * claim types as seen in practice (role_typ the long URI while the role claims say `roles`).
 * Tests forge it to act as people with given roles and groups.
 */
export type ForgedPrincipal = { name: string; roles?: string[]; groups?: string[]; overage?: boolean };

export function forgePrincipal({ name, roles = [], groups = [], overage = false }: ForgedPrincipal): string {
  const claims = [
    { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: name },
    { typ: 'preferred_username', val: name },
    { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '11111111-2222-4333-8444-555555555555' },
    ...roles.map((role) => ({ typ: 'roles', val: role })),
    ...groups.map((group) => ({ typ: 'groups', val: group })),
    ...(overage ? [{ typ: '_claim_names', val: '{"groups":"src1"}' }, { typ: '_claim_sources', val: '{"src1":{"endpoint":"https://graph.microsoft.com/v1.0/users/x/getMemberObjects"}}' }] : []),
  ];
  const principal = {
    auth_typ: 'aad',
    name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims,
  };
  return Buffer.from(JSON.stringify(principal), 'utf8').toString('base64');
}

export const principalHeader = (principal: ForgedPrincipal) => ({ 'x-ms-client-principal': forgePrincipal(principal) });
