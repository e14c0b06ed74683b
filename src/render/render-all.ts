import { mkdir, open, utimes } from 'node:fs/promises';
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
  const settledTime = new Date(Date.now() - 2_000);
  for (const file of files) {
    const target = outDir === undefined ? file.path : join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    await writeWithMode(target, file.content, file.mode ?? 0o644);
    // Postfix will not read a main.cf changed within the last second (it waits, 300 ms at a time,
    // for an editor to finish): dating the file back saves that second on every start.
    await utimes(target, settledTime, settledTime);
    written.push(target);
  }
  return written;
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
