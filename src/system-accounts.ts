import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The helper's own system user: it parses input from the network and holds no root rights. */
export const HELPER_USER = 'idmail';

/** The numeric ids of a system account (vmail, postfix); fails if the account does not exist. */
export async function systemAccount(name: string): Promise<{ uid: number; gid: number }> {
  const { stdout } = await run('id', [name]);
  const uid = /uid=(\d+)/.exec(stdout)?.[1];
  const gid = /gid=(\d+)/.exec(stdout)?.[1];
  if (uid === undefined || gid === undefined) throw new Error(`cannot read the ids of system account ${name}`);
  return { uid: Number(uid), gid: Number(gid) };
}
