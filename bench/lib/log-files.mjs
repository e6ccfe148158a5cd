// A benchmark server's log as one byte stream: rotated files oldest first (their names carry the
// rotation time), then the live file. Rotation renames, so the sum of the sizes is every byte written.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function logFiles(dir) {
  let names;
  try {
    names = readdirSync(dir).filter((n) => n.endsWith('.log'));
  } catch {
    return [];
  }
  const live = names.filter((n) => n === 'audit.log' || n === 'peer.log');
  const rotated = names.filter((n) => !live.includes(n)).sort();
  return [...rotated, ...live].map((n) => join(dir, n));
}

export function logBytes(dir) {
  let total = 0;
  for (const file of logFiles(dir)) {
    try {
      total += statSync(file).size;
    } catch {
      // Renamed between the listing and the stat: its bytes are counted under the new name next time.
    }
  }
  return total;
}
