import { Type } from '@sinclair/typebox';
import type { App } from '../../platform/http/app-types.ts';
import type { TokenSigner } from './token-signer.ts';

// An allow-list: only public members of Ed25519 keys can leave, whatever a row might hold.
const PublicJwk = Type.Object(
  {
    kty: Type.Literal('OKP'),
    crv: Type.Literal('Ed25519'),
    x: Type.String(),
    kid: Type.String(),
    alg: Type.Literal('EdDSA'),
    use: Type.Literal('sig'),
  },
  { additionalProperties: false },
);

export const JwksResponse = Type.Object({ keys: Type.Array(PublicJwk) }, { additionalProperties: false });

/** `GET /.well-known/jwks.json`: the public keys that verify access tokens (active and not yet retired). */
export function registerJwksRoute(app: App, signer: TokenSigner): void {
  app.get('/.well-known/jwks.json', {
    config: { access: { public: true } },
    schema: {
      tags: ['auth'],
      summary: 'Public keys that verify access tokens (JWK set)',
      description:
        'A verifier meeting an unknown kid fetches this again; keys rotate every 30 days or sooner.',
      response: { 200: JwksResponse },
    },
    handler: async (_request, reply) => {
      // Short: a new key signs at once after a rotation, and verifiers refetch on an unknown kid anyway.
      reply.header('cache-control', 'public, max-age=60');
      return signer.jwks();
    },
  });
}
