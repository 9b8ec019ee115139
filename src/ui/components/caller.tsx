import { createContext, type ComponentChildren } from 'preact';
import { useContext } from 'preact/hooks';
import { useApi } from '../live.js';

/** GET /api/me: who is signed in and what they may do (locally: everyone, both roles). */
export type Me = { name: string; roles: string[]; groups: string[]; local: boolean };

export const operatorRole = 'Siphon.Operator';

const CallerContext = createContext<Me | undefined>(undefined);

/** Reads the caller once a minute (a role granted meanwhile shows without a reload). */
export function CallerProvider({ children }: { children: ComponentChildren }) {
  const me = useApi<Me>('me', 60_000);
  return <CallerContext.Provider value={me.data}>{children}</CallerContext.Provider>;
}

export const useCaller = () => useContext(CallerContext);

/**
 * Whether the caller may act (run, cancel, edit, delete, query). The server decides in the end
 * (roles and pipeline owners, see src/api/auth); this only keeps a reader from buttons that
 * would answer 403. While the caller is not known yet the controls stay usable.
 */
export function useCanOperate(): boolean {
  const me = useCaller();
  return me === undefined || me.roles.includes(operatorRole);
}

/** Said once, under the navigation, to a reader: why the controls are greyed out. */
export const readOnlyHint = `View only: running, editing and cancelling need the ${operatorRole} role.`;
