import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Draft } from './draft.js';

/** What every field of a form reads: the draft, how to change one path of it, and the messages placed at a field. */
export type FormApi = {
  draft: Draft;
  set: (path: string, value: unknown) => void;
  /** Messages placed at this field (see placeIssues). */
  messagesAt: (field: string) => string[];
  label: (field: string) => string;
};

export const FormContext = createContext<FormApi | undefined>(undefined);

export function useForm(): FormApi {
  const form = useContext(FormContext);
  if (!form) throw new Error('a form field was rendered outside a FormContext');
  return form;
}
