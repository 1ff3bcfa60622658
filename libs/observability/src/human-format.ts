/** Numbers and times as status screens show them, the agent's `status` and the ops status page alike. */

/** "1234567" → "1,234,567". */
export function groupDigits(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** "12s", "4m", "3h", "2d": how long before `now`, in one unit; a clock slightly ahead never gives a negative. */
export function ago(now: Date, then: Date | string): string {
  const s = Math.max(0, Math.round((now.getTime() - new Date(then).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** "now", "in 12s", "in 3h": how long after `now`, in one unit (ago's units). */
export function until(now: Date, then: Date | string): string {
  const ms = new Date(then).getTime() - now.getTime();
  return ms <= 0 ? 'now' : `in ${ago(new Date(ms), new Date(0))}`;
}
