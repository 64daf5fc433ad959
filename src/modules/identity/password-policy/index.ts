/**
 * The password policy (NIST SP 800-63B §3.1.1.2): a length range, no composition rules, and refusal of
 * passwords that are common, breached or easily guessed by someone who knows the user. Every refusal
 * is IDENTITY_WEAK_PASSWORD (422) naming `body.password` and the reason; the password itself is never
 * echoed or logged.
 */
import pino from 'pino';
import type { Config } from '../../../config/index.ts';
import { type AppError, PlatformErrors } from '../../../platform/errors.ts';
import { loggerOptions } from '../../../platform/logger.ts';
import type { FetcherFactory } from '../../../platform/outbound/index.ts';
import { IdentityErrors } from '../identity.errors.ts';
import { isCommonPassword } from './breached-list.ts';
import { checkPwnedRange, pwnedRangeFetcher } from './pwned-range.ts';
import { estimateStrength, isBuiltFromUserWords, MIN_STRENGTH_SCORE } from './strength.ts';

export { commonPasswordCount, isCommonPassword } from './breached-list.ts';
export { normalisePassword } from './normalise.ts';

/** The accepted length in code points, so any script and emoji count as the user sees them. */
export interface LengthLimits {
  readonly min: number;
  readonly max: number;
}

/** Where the policy reports that the optional breach service could not be asked (never with the password). */
export interface PolicyLog {
  warn(fields: Record<string, unknown>, message: string): void;
}

export interface PasswordPolicyDeps {
  readonly config: Pick<Config, 'hibpRangeUrl' | 'hibpTimeoutMs'>;
  readonly log: PolicyLog;
  /** Makes the fetcher for the breach service; the production one (public https hosts only) by default. */
  readonly outbound?: FetcherFactory;
}

export interface PasswordPolicy {
  /**
   * Resolves when `password` is acceptable within `limits`; otherwise rejects with
   * IDENTITY_WEAK_PASSWORD. `userInputs` are the user's own words (e-mail, its local part, full name):
   * a password built from them counts as guessable.
   */
  check(password: string, limits: LengthLimits, userInputs: readonly string[]): Promise<void>;
}

function refuse(detail: string, message: string, suggestions: readonly string[] = []): AppError {
  return IdentityErrors.IDENTITY_WEAK_PASSWORD(detail, {
    errors: [{ field: 'body.password', message }],
    ...(suggestions.length > 0 ? { extensions: { suggestions: [...suggestions] } } : {}),
  });
}

const BREACHED_SUGGESTIONS = [
  'Choose a password you do not use anywhere else, such as a few unrelated words.',
  'A password manager can generate and remember one for you.',
];

export function createPasswordPolicy(deps: PasswordPolicyDeps): PasswordPolicy {
  const { hibpRangeUrl, hibpTimeoutMs } = deps.config;
  const hibpFetcher = hibpRangeUrl
    ? pwnedRangeFetcher(hibpRangeUrl, hibpTimeoutMs, deps.outbound)
    : undefined;
  return {
    async check(password, { min, max }, userInputs) {
      const length = [...password].length;
      if (length < min || length > max) {
        throw refuse(
          `The password must be ${min} to ${max} characters long.`,
          length < min
            ? `is too short: use at least ${min} characters`
            : `is too long: use at most ${max} characters`,
        );
      }
      if (isCommonPassword(password)) {
        throw refuse(
          'The password is in a list of common and breached passwords, so attackers try it first.',
          'is found in a list of common and breached passwords',
          BREACHED_SUGGESTIONS,
        );
      }
      if (isBuiltFromUserWords(password, userInputs)) {
        throw refuse(
          'The password is made of your own name or e-mail address, which anyone who targets you tries first.',
          'is built from your own name or e-mail address',
          ['Use words that have nothing to do with you, or let a password manager choose.'],
        );
      }
      const strength = await estimateStrength(password, userInputs).catch((error: unknown) => {
        throw PlatformErrors.PLATFORM_UNAVAILABLE('The password could not be checked just now; try again.', {
          cause: error,
        });
      });
      if (strength.score < MIN_STRENGTH_SCORE) {
        const reason = strength.warning ?? 'It follows a pattern that attackers try early.';
        throw refuse(
          `The password is too easy to guess. ${reason}`,
          `is too easy to guess: ${reason}`,
          strength.suggestions.length > 0
            ? strength.suggestions
            : ['Add another word or two that are less common.'],
        );
      }
      if (hibpRangeUrl && hibpFetcher) {
        const verdict = await checkPwnedRange(
          password,
          { url: hibpRangeUrl, timeoutMs: hibpTimeoutMs, fetcher: hibpFetcher },
          (reason) =>
            // Neither the password nor its hash prefix: the prefix narrows the password to 1 in a million.
            deps.log.warn({ reason }, 'breached-password service unavailable; password accepted without it'),
        );
        if (verdict === 'found') {
          throw refuse(
            'The password has appeared in a data breach, so attackers try it first.',
            'has appeared in a known data breach',
            BREACHED_SUGGESTIONS,
          );
        }
      }
    },
  };
}

const policies = new WeakMap<Config, PasswordPolicy>();

/**
 * The policy for a configuration, built once (with the first `outbound` given for it). Its warnings go to
 * a logger of its own with the server's level and redaction (the accounts service has no request logger
 * to lend it).
 */
export function passwordPolicyFor(config: Config, outbound?: FetcherFactory): PasswordPolicy {
  let policy = policies.get(config);
  if (!policy) {
    const options = loggerOptions(config);
    const log = pino(typeof options === 'object' ? { ...options, name: 'password-policy' } : {});
    policy = createPasswordPolicy({ config, log, ...(outbound ? { outbound } : {}) });
    policies.set(config, policy);
  }
  return policy;
}
