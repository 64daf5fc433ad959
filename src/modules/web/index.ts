/**
 * Web: the browser app's entry page, served by the API's server under the shield's page policy (a
 * nonce per response). The React app itself is built by Vite into web/dist.
 */
export { registerAppShell, withNonce } from './app-shell.ts';
