/** Shield: what bounds any caller. Today the response headers; limits and budgets build on it. */
export { installSecurityHeaders } from './security-headers.ts';
