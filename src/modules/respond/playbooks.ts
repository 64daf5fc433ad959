/**
 * Playbooks as data: for each kind of attack, the steps a responder takes, in order. A step either runs
 * an action Bulwark performs itself (containment on the incident's principals and networks, scope,
 * trail verification, key rotation, the kill switch, drafting notices) or is done by a person, who says
 * so. Every step's outcome is kept with who and when; `drill` names the scenario of `bulwark drill` that
 * exercises the step.
 */

export const PLAYBOOK_ACTIONS = [
  'revoke_principals',
  'lock_principals',
  'block_networks',
  'challenge_networks',
  'compute_scope',
  'verify_trail',
  'draft_notices',
  'rotate_master_key',
  'rotate_signing_key',
  'revoke_all_sessions',
  'force_password_resets',
  'freeze_routes',
] as const;
export type PlaybookAction = (typeof PLAYBOOK_ACTIONS)[number];

export interface PlaybookStep {
  readonly id: string;
  readonly title: string;
  readonly guidance: string;
  /** What Bulwark does when the step is run; a step without one is done by a person. */
  readonly action?: PlaybookAction;
  readonly drill?: string;
}

export interface Playbook {
  readonly id: string;
  readonly title: string;
  /** Alert rules (or their families) that suggest this playbook. */
  readonly suggestedBy: readonly string[];
  readonly steps: readonly PlaybookStep[];
}

const scope: PlaybookStep = {
  id: 'scope',
  title: 'Compute exactly who was affected',
  guidance:
    'Recompute the scope from the trail over the suspect principals and window; widen it if more suspects appear.',
  action: 'compute_scope',
};
const verify: PlaybookStep = {
  id: 'verify-trail',
  title: 'Verify the audit trail is intact',
  guidance: 'The scope is only as good as the trail: check the hash chain and signed checkpoints.',
  action: 'verify_trail',
};
const notices: PlaybookStep = {
  id: 'notices',
  title: 'Draft notices to people and regulators',
  guidance: 'Write the assessment first; a second person approves before anything is sent.',
  action: 'draft_notices',
};

export const PLAYBOOKS: readonly Playbook[] = [
  {
    id: 'stolen-token',
    title: 'Stolen staff token or API key',
    suggestedBy: ['exfiltration', 'token', 'privileged'],
    steps: [
      {
        id: 'revoke',
        title: "Revoke the principal's sessions and keys",
        guidance: 'Every session of the people involved ends and their API keys stop working.',
        action: 'revoke_principals',
        drill: 'stolen-staff-token',
      },
      {
        id: 'block',
        title: 'Block the networks it was used from',
        guidance: 'For a day; lift earlier if a network turns out to be an office.',
        action: 'block_networks',
      },
      scope,
      verify,
      {
        id: 'origin',
        title: 'Find how the token was taken',
        guidance:
          'Phishing, a leaked device, a log or a browser extension: fix that path before the account is restored.',
      },
      notices,
    ],
  },
  {
    id: 'api-enumeration',
    title: 'API enumeration (object IDs walked)',
    suggestedBy: ['enumeration', 'scraping'],
    steps: [
      {
        id: 'block',
        title: 'Block the networks walking IDs',
        guidance: 'Blocks for a day; challenges first if the network is shared.',
        action: 'block_networks',
        drill: 'enumerate',
      },
      {
        id: 'lock',
        title: 'Lock the accounts used to walk',
        guidance: 'They sign in again only after a password reset.',
        action: 'lock_principals',
      },
      scope,
      {
        id: 'authorization',
        title: 'Check the walked routes answer only their owners',
        guidance:
          "Every object read is scoped by the principal; a 200 on someone else's ID is the breach itself.",
        drill: 'enumerate',
      },
      notices,
    ],
  },
  {
    id: 'credential-stuffing',
    title: 'Credential stuffing',
    suggestedBy: ['credential_stuffing', 'account_takeover'],
    steps: [
      {
        id: 'challenge',
        title: 'Challenge the attacking networks',
        guidance: 'A proof of work for every request from them; block those that keep going.',
        action: 'challenge_networks',
        drill: 'stuffing',
      },
      {
        id: 'lock',
        title: 'Lock the accounts that were entered',
        guidance: 'Successful logins from the attacking networks: each owner resets their password.',
        action: 'lock_principals',
      },
      scope,
      notices,
    ],
  },
  {
    id: 'insider-bulk-read',
    title: 'Insider bulk read of personal data',
    suggestedBy: ['exfiltration', 'privileged'],
    steps: [
      {
        id: 'revoke',
        title: "End the insider's sessions",
        guidance: 'Immediately; the account stays locked while it is investigated.',
        action: 'revoke_principals',
        drill: 'stolen-staff-token',
      },
      {
        id: 'lock',
        title: 'Lock the account',
        guidance: 'Until HR and legal decide.',
        action: 'lock_principals',
      },
      scope,
      verify,
      {
        id: 'hr-legal',
        title: 'Involve HR and legal',
        guidance: 'Preserve the trail entries as evidence; they are signed and hash-chained.',
      },
      notices,
    ],
  },
  {
    id: 'leaked-dump',
    title: 'Leaked database dump',
    suggestedBy: [],
    steps: [
      verify,
      {
        id: 'rotate-master',
        title: 'Rotate the master key and re-wrap every data key',
        guidance:
          'A dump holds only ciphertext and wrapped keys; rotating makes the wrapped keys in it worthless.',
        action: 'rotate_master_key',
        drill: 'dump',
      },
      {
        id: 'rotate-signing',
        title: 'Rotate the token signing key',
        guidance: 'Tokens signed before stay valid only for the short grace period.',
        action: 'rotate_signing_key',
      },
      {
        id: 'assess',
        title: 'Establish what the dump holds in the clear',
        guidance: 'Only IDs, hashes and blind indexes; confirm no plaintext column was added since.',
        drill: 'dump',
      },
      notices,
    ],
  },
  {
    id: 'master-key-compromise',
    title: 'Master key compromise',
    suggestedBy: ['infrastructure'],
    steps: [
      {
        id: 'rotate-master',
        title: 'Rotate the master key and re-wrap every data key',
        guidance: 'Resumable: a crash mid-way continues where it stopped.',
        action: 'rotate_master_key',
      },
      {
        id: 'retire-old',
        title: 'Destroy the old key where it was kept',
        guidance: 'In the KMS or secret store; the platform has already stopped using it.',
      },
      {
        id: 'rotate-signing',
        title: 'Rotate the token signing key',
        guidance: 'Its private part is wrapped by the master key too.',
        action: 'rotate_signing_key',
      },
      verify,
    ],
  },
  {
    id: 'kill-switch',
    title: 'Kill switch',
    suggestedBy: [],
    steps: [
      {
        id: 'sessions',
        title: 'Revoke every session',
        guidance: 'Everyone but you is signed out at once.',
        action: 'revoke_all_sessions',
      },
      {
        id: 'passwords',
        title: 'Force every password to be reset',
        guidance: 'Everyone but you sets a new password before their next login.',
        action: 'force_password_resets',
      },
      {
        id: 'freeze',
        title: 'Freeze chosen routes read-only or off',
        guidance:
          'Give the prefixes and modes; sign-in and the security console stay open so it can be lifted.',
        action: 'freeze_routes',
      },
    ],
  },
];

export function playbook(id: string): Playbook | undefined {
  return PLAYBOOKS.find((p) => p.id === id);
}
