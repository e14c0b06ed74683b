import { access } from 'node:fs/promises';

/** Whether a path exists (for this process). */
export const exists = (path: string): Promise<boolean> =>
  access(path).then(
    () => true,
    () => false,
  );
