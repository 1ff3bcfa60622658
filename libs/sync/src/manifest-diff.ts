import type { ManifestCheckResult } from '#contracts';

/**
 * Compares one slice's local (key, version) pairs with the remote ones. Keys are canonical encodings (encodeKey),
 * so equal keys are equal strings. A remote row newer than the local one can only come from a lost timeline (a
 * restore): it is reported apart, for a compare-and-set replace, since the version guard would keep it for ever.
 */
export function diffManifest(
  local: ReadonlyMap<string, bigint>,
  remote: ReadonlyMap<string, bigint>,
): ManifestCheckResult {
  const remoteOnly: ManifestCheckResult['remoteOnly'] = [];
  const missingOrOlder: string[] = [];
  const newerRemotely: ManifestCheckResult['newerRemotely'] = [];
  for (const [key, version] of remote) if (!local.has(key)) remoteOnly.push({ key, version: version.toString() });
  for (const [key, version] of local) {
    const r = remote.get(key);
    if (r === undefined || r < version) missingOrOlder.push(key);
    else if (r > version) newerRemotely.push({ key, version: r.toString() });
  }
  return { remoteOnly, missingOrOlder, newerRemotely };
}
