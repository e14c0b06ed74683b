import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadSettings } from '../../../src/config/settings.ts';
import { problemsOf } from '../../support/config.ts';

const base = { OVERRIDE_HOSTNAME: 'mail.example.org', MAIL_DOMAINS: 'example.org' };

describe('the submission rate limit settings', () => {
  it('limits every account by default, to far more than a person sends', () => {
    assert.deepEqual(loadSettings(base).submissionRateLimit, { messagesPerHour: 200, recipientsPerHour: 1000 });
  });

  it('reads both limits, and 0 as no limit of that kind', () => {
    const settings = loadSettings({
      ...base,
      SUBMISSION_MESSAGES_PER_HOUR: ' 50 ',
      SUBMISSION_RECIPIENTS_PER_HOUR: '0',
    });
    assert.deepEqual(settings.submissionRateLimit, { messagesPerHour: 50, recipientsPerHour: 0 });
  });

  it('is off as a whole when both are 0', () => {
    const settings = loadSettings({ ...base, SUBMISSION_MESSAGES_PER_HOUR: '0', SUBMISSION_RECIPIENTS_PER_HOUR: '0' });
    assert.equal(settings.submissionRateLimit, undefined);
  });

  it('stops the start on a value that is no whole number, naming the variable and what is allowed', () => {
    for (const value of ['-1', '1.5', 'unlimited', '200/h', ' ', '1e3', '9999999999']) {
      const problems = problemsOf({
        ...base,
        SUBMISSION_MESSAGES_PER_HOUR: value,
        SUBMISSION_RECIPIENTS_PER_HOUR: value,
      });
      assert.equal(problems.length, 2, `${JSON.stringify(value)}: ${problems.join('; ')}`);
      assert.match(problems[0] ?? '', /^SUBMISSION_MESSAGES_PER_HOUR: .*allowed: 0 or more/);
      assert.match(problems[1] ?? '', /^SUBMISSION_RECIPIENTS_PER_HOUR: .*allowed: 0 or more/);
    }
  });
});
