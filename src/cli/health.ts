import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { promisify } from 'node:util';
import type { Settings } from '../config/settings.ts';

const run = promisify(execFile);
const TIMEOUT_MS = 2_000;

/**
 * Each daemon is asked through its own control interface, not its mail ports: a probe on
 * 143 or 25 every few seconds would fill the log with connect/disconnect lines.
 */
async function succeeds(command: string, args: string[]): Promise<boolean> {
  return run(command, args, { timeout: TIMEOUT_MS }).then(
    () => true,
    () => false,
  );
}

/** What `postfix status` checks, without its log line: the master's pid is a live process. */
async function postfixMasterRuns(queueDirectory: string): Promise<boolean> {
  const pid = Number((await readFile(`${queueDirectory}/pid/master.pid`, 'utf8').catch(() => '')).trim());
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** curl, not fetch: importing node:http or fetch loads undici, a tenth of a second on every probe. */
function helperAnswers(url: string): Promise<boolean> {
  return succeeds('curl', ['--fail', '--silent', '--output', '/dev/null', `${url}/health`]);
}

/** rspamd takes milter connections: Postfix would otherwise answer every message with "try again later". */
function milterAccepts(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(socketPath)
      .once('connect', () => {
        socket.destroy();
        resolve(true);
      })
      .once('error', () => resolve(false))
      .setTimeout(TIMEOUT_MS, () => {
        socket.destroy();
        resolve(false);
      });
  });
}

/** Healthy only when the helper, Dovecot's master, Postfix's master and queue, and rspamd (when on) all answer. */
async function checkHealth(
  helperUrl: string,
  postfixQueueDirectory: string,
  milterSocket: string | undefined,
): Promise<Record<string, boolean>> {
  const [helper, dovecot, postfixMaster, postfixQueue, rspamd] = await Promise.all([
    helperAnswers(helperUrl),
    succeeds('doveadm', ['service', 'status']),
    postfixMasterRuns(postfixQueueDirectory),
    succeeds('postqueue', ['-j']),
    milterSocket === undefined ? true : milterAccepts(milterSocket),
  ]);
  return { helper, dovecot, postfix: postfixMaster && postfixQueue, rspamd };
}

/** `idmail health`: exit 1, naming what does not answer, unless all of it does. */
export async function runHealth({ helper, paths, filter }: Settings): Promise<void> {
  const status = await checkHealth(helper.url, paths.postfixQueue, filter && paths.milterSocket);
  const failing = Object.entries(status)
    .filter(([, ok]) => !ok)
    .map(([name]) => name);
  if (failing.length > 0) {
    console.error(`unhealthy: ${failing.join(', ')} not answering`);
    process.exitCode = 1;
  }
}
