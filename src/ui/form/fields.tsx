import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { getIn, listFromText, numberFromText, textOf } from './draft.js';
import { fieldId } from './fieldIssues.js';
import { useForm } from './formContext.js';

type Common = { path: string; hint?: ComponentChildren; wide?: boolean };

/**
 * Label, hint, control and the field's messages, wired for assistive technology: the control is
 * described by its hint and its error, and says when it is invalid (the GOV.UK pattern).
 */
function FieldShell({ path, hint, wide, children }: Common & { children: (aria: Record<string, string | undefined>) => ComponentChildren }) {
  const form = useForm();
  const id = fieldId(path);
  const messages = form.messagesAt(path);
  const describedBy = [hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div class={`field${wide ? ' wide' : ''}${messages.length ? ' has-error' : ''}`}>
      <label for={id}>{form.label(path)}</label>
      {hint ? <div class="hint" id={`${id}-hint`}>{hint}</div> : null}
      {messages.length ? (
        <p class="field-error" id={`${id}-error`}>
          <span class="sr-only">Error: </span>
          {messages.join('; ')}
        </p>
      ) : null}
      {children({ id, 'aria-describedby': describedBy, 'aria-invalid': messages.length ? 'true' : undefined })}
    </div>
  );
}

/**
 * A text input, or with `multiline` a text area (monospace for code and names; `prose` for
 * words). An empty input means "not given": the key goes and the schema's default applies;
 * with `keepEmpty` it stays as "" (a query pipeline's query, whose key says what is read).
 */
export function TextField({ placeholder, readOnly, list, multiline, prose, rows, spellcheck, keepEmpty, ...common }: Common & { placeholder?: string; readOnly?: boolean; list?: string; multiline?: boolean; prose?: boolean; rows?: number; spellcheck?: boolean; keepEmpty?: boolean }) {
  const form = useForm();
  const value = textOf(getIn(form.draft, common.path));
  const onInput = (event: Event) => {
    const text = (event.currentTarget as HTMLInputElement | HTMLTextAreaElement).value;
    form.set(common.path, text === '' && !keepEmpty ? undefined : text);
  };
  return (
    <FieldShell {...common}>
      {(aria) =>
        multiline ? (
          <textarea {...aria} class={prose ? 'prose' : undefined} name={common.path} value={value} rows={rows ?? 3} placeholder={placeholder} readOnly={readOnly} spellcheck={spellcheck} onInput={onInput} />
        ) : (
          <input {...aria} type="text" name={common.path} value={value} placeholder={placeholder} readOnly={readOnly} list={list} spellcheck={spellcheck} autocomplete="off" onInput={onInput} />
        )
      }
    </FieldShell>
  );
}

/**
 * Text kept by the field while the user types ("1." or a list's empty last line would not
 * survive a round trip through the draft), replaced when the draft changes from elsewhere (the
 * JSON tab, a reload).
 */
function useTypedText(value: unknown, parse: (text: string) => unknown): [string, (text: string) => void] {
  const [text, setText] = useState(() => textOf(value));
  useEffect(() => {
    if (JSON.stringify(parse(text)) !== JSON.stringify(value)) setText(textOf(value));
    // Only a change of the draft's value resets the text; the text's own changes are the user's.
  }, [JSON.stringify(value)]);
  return [text, setText];
}

export function NumberField({ placeholder, decimals, ...common }: Common & { placeholder?: string; decimals?: boolean }) {
  const form = useForm();
  const [text, setText] = useTypedText(getIn(form.draft, common.path), numberFromText);
  return (
    <FieldShell {...common}>
      {(aria) => (
        <input
          {...aria}
          class="number"
          type="text"
          inputMode={decimals ? 'decimal' : 'numeric'}
          name={common.path}
          value={text}
          placeholder={placeholder}
          autocomplete="off"
          onInput={(event) => {
            const typed = (event.currentTarget as HTMLInputElement).value;
            setText(typed);
            form.set(common.path, numberFromText(typed));
          }}
        />
      )}
    </FieldShell>
  );
}

/** A list of names, one per line (names may hold commas, never line breaks). */
export function ListField({ placeholder, rows, ...common }: Common & { placeholder?: string; rows?: number }) {
  const form = useForm();
  const [text, setText] = useTypedText(getIn(form.draft, common.path), listFromText);
  return (
    <FieldShell {...common}>
      {(aria) => (
        <textarea
          {...aria}
          class="list"
          name={common.path}
          value={text}
          rows={rows ?? 3}
          placeholder={placeholder}
          spellcheck={false}
          onInput={(event) => {
            const typed = (event.currentTarget as HTMLTextAreaElement).value;
            setText(typed);
            form.set(common.path, listFromText(typed));
          }}
        />
      )}
    </FieldShell>
  );
}

export type Choice = { value: string; label: string };

/**
 * A choice among the schema's values. With `unset`, an empty first option stands for "not
 * given" (the default, named in its label); without it the control shows `fallback` until the
 * user picks, and picking writes the value.
 */
export function SelectField({ choices, unset, fallback, onPick, ...common }: Common & { choices: readonly Choice[]; unset?: string; fallback?: string; onPick?: (value: string | undefined) => void }) {
  const form = useForm();
  const current = getIn(form.draft, common.path);
  const value = typeof current === 'string' ? current : current === undefined ? (unset !== undefined ? '' : (fallback ?? '')) : textOf(current);
  const known = choices.some((choice) => choice.value === value) || value === '';
  return (
    <FieldShell {...common}>
      {(aria) => (
        <select
          {...aria}
          name={common.path}
          value={value}
          onChange={(event) => {
            const picked = (event.currentTarget as HTMLSelectElement).value;
            const next = picked === '' ? undefined : picked;
            if (onPick) onPick(next);
            else form.set(common.path, next);
          }}
        >
          {unset !== undefined ? <option value="">{unset}</option> : null}
          {choices.map((choice) => <option value={choice.value}>{choice.label}</option>)}
          {/* A value the form does not offer (from the JSON tab) stays visible rather than silently shown as another. */}
          {known ? null : <option value={value}>{value}</option>}
        </select>
      )}
    </FieldShell>
  );
}

/** A yes/no field: shows the default until the user ticks or unticks it, then writes the value. */
export function CheckboxField({ fallback, ...common }: Common & { fallback: boolean }) {
  const form = useForm();
  const current = getIn(form.draft, common.path);
  const checked = typeof current === 'boolean' ? current : fallback;
  const id = fieldId(common.path);
  const messages = form.messagesAt(common.path);
  return (
    <div class={`field check${messages.length ? ' has-error' : ''}`}>
      <input
        id={id}
        type="checkbox"
        name={common.path}
        checked={checked}
        aria-describedby={[common.hint ? `${id}-hint` : '', messages.length ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined}
        aria-invalid={messages.length ? 'true' : undefined}
        onChange={(event) => form.set(common.path, (event.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{form.label(common.path)}</label>
      {common.hint ? <div class="hint" id={`${id}-hint`}>{common.hint}</div> : null}
      {messages.length ? <p class="field-error" id={`${id}-error`}><span class="sr-only">Error: </span>{messages.join('; ')}</p> : null}
    </div>
  );
}
