import type { ManifestCheckResult } from '#contracts';

/**
 * Compares one slice's local (key, version) pairs with the remote ones. Keys are canonical encodings (encodeKey),
 * so equal keys are equal strings. Remote rows with a newer version than local are not reported: the version
 * guard keeps them and only a restore (handled separately) makes them wrong.
 */
export function diffManifest(
  local: ReadonlyMap<string, bigint>,
  remote: ReadonlyMap<string, bigint>,
): ManifestCheckResult {
  const remoteOnly: ManifestCheckResult['remoteOnly'] = [];
  const missingOrOlder: string[] = [];
  for (const [key, version] of remote) if (!local.has(key)) remoteOnly.push({ key, version: version.toString() });
  for (const [key, version] of local) {
    const r = remote.get(key);
    if (r === undefined || r < version) missingOrOlder.push(key);
  }
  return { remoteOnly, missingOrOlder };
}
