import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { loadSettings } from '../../../src/config/settings.ts';
import { ROOT } from '../../support/images.ts';

interface Service {
  image?: string;
  environment?: Record<string, string>;
}

const compose = YAML.parse(readFileSync(`${ROOT}compose.yaml`, 'utf8')) as { services: Record<string, Service> };
const appliances = Object.entries(compose.services).filter(([, service]) => service.image?.startsWith('idmail:'));

describe('the compose demo', () => {
  it('has appliances to check', () => {
    assert.ok(appliances.length >= 2, appliances.map(([name]) => name).join(', '));
  });

  for (const [name, service] of appliances) {
    it(`${name}: starts with its environment, accepts only tokens meant for it, and never opts out of the audience check`, () => {
      const env = service.environment ?? {};
      assert.equal(env.OAUTH2_ACCEPT_ANY_AUDIENCE, undefined, 'the demo must not accept tokens of any audience');
      const settings = loadSettings(env);
      assert.ok((settings.oauth2?.audiences.length ?? 0) > 0, 'an audience is set');
      assert.equal(settings.oauth2?.acceptAnyAudience, false);
    });
  }
});
