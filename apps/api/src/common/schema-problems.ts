/** A schema's complaint about a value: a Standard Schema issue, or zod's own. */
interface Issue {
  message: string;
  path?: ReadonlyArray<PropertyKey | { key: PropertyKey }>;
}

/** A schema's complaints about a value, as a 400 says them: each field's path and problem, the first ten. */
export function schemaProblems(issues: readonly Issue[]): string {
  return issues
    .slice(0, 10)
    .map((i) =>
      i.path?.length
        ? `${i.path.map((p) => String(typeof p === 'object' ? p.key : p)).join('.')}: ${i.message}`
        : i.message,
    )
    .join('; ');
}
