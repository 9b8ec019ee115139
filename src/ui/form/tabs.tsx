import type { ComponentChildren } from 'preact';

export type TabChoice<T extends string> = { value: T; label: string };

/**
 * ARIA tabs: a tab list whose arrow keys move between tabs (and pick them), each panel labelled by
 * its tab. `onPick` may refuse (the JSON tab holding text that does not parse).
 */
export function Tabs<T extends string>({ id, tabs, current, onPick, children }: { id: string; tabs: ReadonlyArray<TabChoice<T>>; current: T; onPick: (value: T) => void; children: ComponentChildren }) {
  const move = (event: KeyboardEvent, index: number) => {
    const step = event.key === 'ArrowRight' ? 1 : event.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    event.preventDefault();
    const next = tabs[(index + step + tabs.length) % tabs.length]!;
    onPick(next.value);
    document.getElementById(`${id}-tab-${next.value}`)?.focus();
  };
  return (
    <>
      <div class="tabs" role="tablist" aria-label="How to edit">
        {tabs.map((tab, index) => (
          <button
            type="button"
            role="tab"
            id={`${id}-tab-${tab.value}`}
            aria-selected={tab.value === current ? 'true' : 'false'}
            aria-controls={`${id}-panel`}
            tabIndex={tab.value === current ? 0 : -1}
            onClick={() => onPick(tab.value)}
            onKeyDown={(event) => move(event, index)}
          >
            {tab.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-tab-${current}`}>{children}</div>
    </>
  );
}
