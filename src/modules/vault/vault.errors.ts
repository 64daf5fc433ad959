import { defineErrors } from '../../platform/errors.ts';

export const VaultErrors = defineErrors({
  VAULT_DECRYPTION_FAILED: { status: 500, title: 'Protected data could not be read' },
  VAULT_KEY_NOT_FOUND: { status: 500, title: 'Protected data could not be read' },
});
