import { type ChildProcess, spawn } from 'node:child_process';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  /** The child's whole environment (none of the container's is passed on unasked). */
  env: NodeJS.ProcessEnv;
}

const RESTART_DELAY_MIN_MS = 100;
const RESTART_DELAY_MAX_MS = 5_000;
const STABLE_AFTER_MS = 30_000;

/** One supervised daemon: restarted when it dies unasked, with a growing delay if it keeps dying. */
export class SupervisedChild {
  readonly spec: ChildSpec;
  private process: ChildProcess | undefined;
  private stopping = false;
  private restartDelay = RESTART_DELAY_MIN_MS;
  private exited: Promise<void> = Promise.resolve();

  constructor(spec: ChildSpec) {
    this.spec = spec;
  }

  start(): void {
    const startedAt = Date.now();
    const child = spawn(this.spec.command, this.spec.args, { stdio: 'inherit', env: this.spec.env });
    this.process = child;
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.process = undefined;
        resolve();
        if (this.stopping) return;
        if (Date.now() - startedAt > STABLE_AFTER_MS) this.restartDelay = RESTART_DELAY_MIN_MS;
        console.error(`idmail: ${this.spec.name} exited (${signal ?? code}); restarting in ${this.restartDelay} ms`);
        setTimeout(() => this.stopping || this.start(), this.restartDelay);
        this.restartDelay = Math.min(this.restartDelay * 2, RESTART_DELAY_MAX_MS);
      });
    });
    child.once('error', (error) => console.error(`idmail: ${this.spec.name}: ${error.message}`));
  }

  /** Asks the daemon to stop, and kills it if it has not stopped within `graceMs`. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    const child = this.process;
    if (child === undefined) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
