import { createInterface } from 'node:readline/promises';
import { Writable } from 'node:stream';

const MIN_LENGTH = 8;

/** A new password from standard input (first line) or, on a terminal, typed twice without echo. */
export async function readNewPassword(fromStdin: boolean): Promise<string> {
  const password = fromStdin || !process.stdin.isTTY ? await firstLine() : await promptTwice();
  if (password.length < MIN_LENGTH) throw new Error(`password too short; allowed: at least ${MIN_LENGTH} characters`);
  return password;
}

async function firstLine(): Promise<string> {
  const lines = createInterface({ input: process.stdin, terminal: false });
  for await (const line of lines) {
    lines.close();
    return line;
  }
  return '';
}

async function promptTwice(): Promise<string> {
  let muted = false;
  const output = new Writable({
    write(chunk, _encoding, done) {
      if (!muted) process.stdout.write(chunk);
      done();
    },
  });
  const prompt = createInterface({ input: process.stdin, output, terminal: true });
  const ask = async (question: string) => {
    const answer = prompt.question(question);
    muted = true;
    const value = await answer;
    muted = false;
    process.stdout.write('\n');
    return value;
  };
  try {
    const first = await ask('Password: ');
    if ((await ask('Again: ')) !== first) throw new Error('the two passwords differ');
    return first;
  } finally {
    prompt.close();
  }
}
