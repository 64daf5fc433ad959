/**
 * Challenges for suspect sources (issue: anti-automation): detection or an operator marks an address or
 * network, and until the mark lapses the credential routes answer it only with a solved proof of work
 * (or an operator's CAPTCHA verifier). Re-exported by the shield's index.
 */
export { installChallenges } from './challenge.hook.ts';
export type { ChallengeTables } from './challenges.tables.ts';
export { CHALLENGE_HEADER, type ChallengeVerifier, proofOfWork } from './proof-of-work.ts';
export { createSuspects, type Suspect, type Suspects, sourceKey } from './suspects.ts';
