/**
 * Development convenience: when OPERATOR_TOKEN or SESSION_SECRET is unset outside production, generate
 * one, keep it in DATA_DIR (mode 0600) so restarts keep working with it, and print the operator token
 * once, when it is created.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { newSecret } from '../crypto.js';

export async function loadOrCreateSecret(
  dataDir: string,
  fileName: string,
  onCreate: (value: string, path: string) => void,
): Promise<string> {
  const path = join(dataDir, fileName);
  try {
    const existing = (await readFile(path, 'utf8')).trim();
    if (existing.length >= 32) return existing;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  await mkdir(dataDir, { recursive: true });
  const value = newSecret();
  await writeFile(path, `${value}\n`, { mode: 0o600 });
  onCreate(value, path);
  return value;
}
