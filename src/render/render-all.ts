import { mkdir, open, readFile, rename, utimes } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Settings } from '../config/settings.ts';
import { renderDovecot } from './dovecot.ts';
import { renderMailLog } from './mail-log.ts';
import { renderPostfix } from './postfix.ts';
import { renderRspamd } from './rspamd.ts';
import type { RenderedFile } from './templates.ts';

export async function renderAll(settings: Settings): Promise<RenderedFile[]> {
  return [
    ...(await renderDovecot(settings)),
    ...(await renderPostfix(settings)),
    ...(await renderRspamd(settings)),
    ...(await renderMailLog(settings)),
  ];
}

/** Writes the files at their own paths, or under `outDir` (keeping their paths) to inspect them. */
export async function writeRendered(files: RenderedFile[], outDir?: string): Promise<string[]> {
  const written: string[] = [];
  for (const file of files) {
    const target = outDir === undefined ? file.path : join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeSettled(target, file);
    written.push(target);
  }
  return written;
}

/**
 * While the daemons run: only the files whose content changed, each written aside and renamed, so a
 * Postfix process starting meanwhile reads the old main.cf or the new one, never half of one. Returns their paths.
 */
export async function replaceChanged(files: RenderedFile[]): Promise<string[]> {
  const changed: string[] = [];
  for (const file of files) {
    if ((await readFile(file.path, 'utf8').catch(() => undefined)) === file.content) continue;
    const aside = `${file.path}.idmail-new`;
    await writeSettled(aside, file);
    await rename(aside, file.path);
    changed.push(file.path);
  }
  return changed;
}

async function writeSettled(path: string, file: RenderedFile): Promise<void> {
  await writeWithMode(path, file.content, file.mode ?? 0o644);
  // Postfix will not read a main.cf changed within the last second (it waits, 300 ms at a time,
  // for an editor to finish): dating the file back saves that second on every start.
  const settledTime = new Date(Date.now() - 2_000);
  await utimes(path, settledTime, settledTime);
}

/** Emptied, then given its mode, then written: a secret is never in a file that others could read. */
async function writeWithMode(path: string, content: string, mode: number): Promise<void> {
  const handle = await open(path, 'w', mode);
  try {
    await handle.chmod(mode);
    await handle.writeFile(content);
  } finally {
    await handle.close();
  }
}
