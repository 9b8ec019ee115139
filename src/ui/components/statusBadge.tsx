/** A run's, chunk's or pipeline's status as a coloured word (colour is never the only sign: the word is there). */
export function StatusBadge({ status }: { status: string | undefined }) {
  const value = status ?? 'none';
  return <span class={`badge status-${value.replace(/[^a-z_]/gi, '')}`}>{value.replace(/_/g, ' ')}</span>;
}
