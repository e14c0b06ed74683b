#!/usr/bin/env node
import { ConfigError, loadSettings } from './config/settings.ts';

// `idmail health` is the HEALTHCHECK, every few seconds for the container's life: it loads the settings
// and its probes only, not the other commands (commander, the accounts file, the state database).
const healthProbe = process.argv.length === 3 && process.argv[2] === 'health';

try {
  if (healthProbe) await (await import('./cli/health.ts')).runHealth(loadSettings(process.env));
  else await (await import('./cli/commands.ts')).runCommands();
} catch (error) {
  console.error(`idmail: ${(error as Error).message}`);
  process.exitCode = error instanceof ConfigError ? 78 : 1;
}
