import { defineErrors } from '../../platform/errors.ts';

export const VaultErrors = defineErrors({
  // Fails closed and alerts; the client sees no detail of why (503: the fault is ours, not the caller's).
  VAULT_DATA_UNREADABLE: { status: 503, title: 'Protected data cannot be read right now' },
  VAULT_DATA_ERASED: { status: 410, title: 'This personal data was erased' },
  VAULT_DECRYPTION_FAILED: { status: 500, title: 'Protected data could not be read' },
  VAULT_KEY_NOT_FOUND: { status: 500, title: 'Protected data could not be read' },
  VAULT_REVEAL_FORBIDDEN: { status: 403, title: 'Your role may not reveal this data' },
});
