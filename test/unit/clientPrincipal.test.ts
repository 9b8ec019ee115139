import { describe, expect, it } from 'vitest';
import { parseClientPrincipal } from '../../src/api/auth/clientPrincipal.js';
import { ownersProblem, newOwnersProblem } from '../../src/api/auth/pipelineOwners.js';
import { localCaller } from '../../src/api/auth/caller.js';

const encode = (value: unknown) => Buffer.from(JSON.stringify(value), 'utf8').toString('base64');
const principal = (claims: Array<{ typ: string; val: string }>, types: { name_typ?: string | null; role_typ?: string | null } = {}) =>
  encode({ auth_typ: 'aad', name_typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', ...types, claims });
const parse = (header: string) => {
  const parsed = parseClientPrincipal(header);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.response.jsonBody));
  return parsed.value;
};

describe('X-MS-CLIENT-PRINCIPAL', () => {
  it('reads a person: the name claim Easy Auth names, app roles from `roles` or the role type, groups lowercase', () => {
    const caller = parse(
      principal([
        { typ: 'name', val: 'Ana Silva' },
        { typ: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name', val: 'ana@contoso.com' },
        { typ: 'roles', val: 'Siphon.Reader' },
        { typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role', val: 'Siphon.Operator' },
        { typ: 'roles', val: 'Other.App.Admin' },
        { typ: 'groups', val: 'AB12CD34-0000-4000-8000-000000000001' },
        { typ: 'groups', val: 'ab12cd34-0000-4000-8000-000000000001' },
      ]),
    );
    expect(caller).toEqual({ name: 'ana@contoso.com', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: ['ab12cd34-0000-4000-8000-000000000001'], groupsOverage: false, local: false });
  });

  it('reads an application signed in with client credentials: no name claim, its client id names it; roles are case-exact', () => {
    const caller = parse(
      principal(
        [
          { typ: 'appid', val: '5e6f7a8b-0000-4000-8000-00000000abcd' },
          { typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier', val: '9a8b7c6d-0000-4000-8000-000000000002' },
          { typ: 'roles', val: 'Siphon.Operator' },
          { typ: 'roles', val: 'siphon.reader' },
        ],
        { name_typ: null, role_typ: null },
      ),
    );
    expect(caller).toMatchObject({ name: '5e6f7a8b-0000-4000-8000-00000000abcd', roles: ['Siphon.Reader', 'Siphon.Operator'], groups: [] });
  });

  it.each([
    ['_claim_names', '{"groups":"src1"}'],
    ['hasgroups', 'true'],
    ['http://schemas.microsoft.com/claims/groups.link', 'https://graph.windows.net/x/users/y/getMemberObjects'],
  ])('notices group overage from %s', (typ, val) => {
    expect(parse(principal([{ typ: 'name', val: 'max' }, { typ, val }])).groupsOverage).toBe(true);
  });

  it('takes base64url too, and refuses what Easy Auth never writes', () => {
    const header = principal([{ typ: 'name', val: 'ünïcödé 🚀' }]);
    expect(parse(header.replaceAll('+', '-').replaceAll('/', '_')).name).toBe('ünïcödé 🚀');
    for (const bad of [encode(null), encode([]), encode({ claims: [] }), encode({ auth_typ: 'aad', claims: [{ typ: 'roles' }] }), '=====', 'a b']) {
      const parsed = parseClientPrincipal(bad);
      expect(parsed.ok, bad).toBe(false);
      if (!parsed.ok) expect(parsed.response.status).toBe(401);
    }
  });
});

describe('pipeline owners', () => {
  const teamA = '0a6f3c52-9d1e-4b7a-8c3d-2e5f6a7b8c9d';
  const member = parse(principal([{ typ: 'name', val: 'ana' }, { typ: 'roles', val: 'Siphon.Operator' }, { typ: 'groups', val: teamA }]));
  const outsider = parse(principal([{ typ: 'name', val: 'bob' }, { typ: 'roles', val: 'Siphon.Operator' }]));
  const crowded = parse(principal([{ typ: 'name', val: 'max' }, { typ: 'roles', val: 'Siphon.Operator' }, { typ: 'hasgroups', val: 'true' }]));

  it('lets members, the local caller, and anyone on a pipeline without owners act', () => {
    expect(ownersProblem(member, 'p', [teamA.toUpperCase()])).toBeUndefined();
    expect(ownersProblem(localCaller, 'p', [teamA])).toBeUndefined();
    expect(ownersProblem(outsider, 'p', undefined)).toBeUndefined();
    expect(ownersProblem(crowded, 'p', undefined)).toBeUndefined();
    expect(newOwnersProblem(outsider, 'p', undefined)).toBeUndefined();
  });

  it('refuses outsiders and unknown membership with 403 naming the pipeline and the field', () => {
    expect(ownersProblem(outsider, 'p', [teamA])).toMatchObject({ status: 403, jsonBody: { title: 'Pipeline p belongs to other owners' } });
    expect(newOwnersProblem(outsider, 'p', [teamA])).toMatchObject({ status: 403, jsonBody: { errors: [{ path: 'owners', message: 'must include a group you are in' }] } });
    expect(ownersProblem(crowded, 'p', [teamA])).toMatchObject({ status: 403, jsonBody: { title: 'Your group membership cannot be checked for pipeline p' } });
  });
});
