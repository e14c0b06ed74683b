import { readFile } from 'node:fs/promises';
import Handlebars from 'handlebars';
import { SHIPPED_ROOT } from '../shipped-files.ts';

const TEMPLATE_ROOT = new URL('templates/', SHIPPED_ROOT);

// Config files are not HTML: no escaping. Every value is validated in config/ before it gets here.
const handlebars = Handlebars.create();

export async function renderTemplate(name: string, view: object): Promise<string> {
  const source = await readFile(new URL(name, TEMPLATE_ROOT), 'utf8');
  const template = handlebars.compile(source, { noEscape: true, strict: true });
  return template(view);
}

/** A rendered config file: where it goes and what it says. */
export interface RenderedFile {
  path: string;
  content: string;
  /** Its mode when not 0644: 0600 for a file with a secret in it. */
  mode?: number;
}
