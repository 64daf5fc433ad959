import { createHash, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { isoCBOR } from '@simplewebauthn/server/helpers';

// Authenticator data flags (WebAuthn §6.1).
const UP = 0x01;
const UV = 0x04;
const AT = 0x40;

const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

export interface CreationOptionsJSON {
  readonly challenge: string;
  readonly user: { readonly id: string };
}
export interface RequestOptionsJSON {
  readonly challenge: string;
}

/** What a test may bend in a ceremony to play an attacker or a faulty device. */
export interface Ceremony {
  readonly origin?: string;
  readonly rpId?: string;
  readonly type?: string;
  /** Clear the user-verified flag (a security key without PIN). */
  readonly userVerified?: boolean;
  /** Sign with this key instead of the credential's own. */
  readonly signWith?: KeyObject;
  /** Report this signature counter instead of the next one. */
  readonly counter?: number;
  /** Answer this challenge instead of the one in the options. */
  readonly challenge?: string;
  readonly userHandle?: string | null;
}

export interface RegistrationJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; attestationObject: string; transports: string[] };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment: 'platform';
}

export interface AssertionJSON {
  id: string;
  rawId: string;
  type: 'public-key';
  response: { clientDataJSON: string; authenticatorData: string; signature: string; userHandle?: string };
  clientExtensionResults: Record<string, unknown>;
  authenticatorAttachment: 'platform';
}

/**
 * A software WebAuthn authenticator for tests: one ES256 (P-256) credential with a random ID, a signature
 * counter, and `navigator.credentials.create/get()`-shaped JSON out, with attestation format "none".
 */
export class SoftAuthenticator {
  readonly credentialId = randomBytes(32);
  readonly #privateKey: KeyObject;
  readonly #publicKey: KeyObject;
  /** The last counter reported; synced passkeys always report 0 (`counting: false`). */
  signCount = 0;
  userHandle: string | null = null;

  constructor(
    readonly site: { readonly origin: string; readonly rpId: string },
    readonly counting = true,
  ) {
    const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    this.#privateKey = pair.privateKey;
    this.#publicKey = pair.publicKey;
  }

  get id(): string {
    return b64(this.credentialId);
  }

  /** Another key pair, to sign assertions the credential's public key will not verify. */
  static strayKey(): KeyObject {
    return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
  }

  /** navigator.credentials.create() for these options. */
  register(options: CreationOptionsJSON, ceremony: Ceremony = {}): RegistrationJSON {
    this.userHandle = options.user.id;
    const jwk = this.#publicKey.export({ format: 'jwk' });
    const cosePublicKey = isoCBOR.encode(
      new Map<number, number | Uint8Array>([
        [1, 2], // kty: EC2
        [3, -7], // alg: ES256
        [-1, 1], // crv: P-256
        [-2, new Uint8Array(Buffer.from(jwk.x as string, 'base64url'))],
        [-3, new Uint8Array(Buffer.from(jwk.y as string, 'base64url'))],
      ]),
    );
    const idLength = Buffer.alloc(2);
    idLength.writeUInt16BE(this.credentialId.length);
    const authData = Buffer.concat([
      this.#header(ceremony, AT, this.signCount),
      Buffer.alloc(16), // AAGUID: zeros, as with attestation "none"
      idLength,
      this.credentialId,
      Buffer.from(cosePublicKey),
    ]);
    const attestationObject = isoCBOR.encode(
      new Map<string, string | Uint8Array | Map<string, string>>([
        ['fmt', 'none'],
        ['attStmt', new Map<string, string>()],
        ['authData', new Uint8Array(authData)],
      ]),
    );
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON: this.#clientData('webauthn.create', options.challenge, ceremony),
        attestationObject: b64(attestationObject),
        transports: ['internal', 'hybrid'],
      },
      clientExtensionResults: { credProps: { rk: true } },
      authenticatorAttachment: 'platform',
    };
  }

  /** navigator.credentials.get() for these options. */
  assert(options: RequestOptionsJSON, ceremony: Ceremony = {}): AssertionJSON {
    const counter = ceremony.counter ?? (this.counting ? this.signCount + 1 : 0);
    this.signCount = Math.max(this.signCount, counter);
    const authData = this.#header(ceremony, 0, counter);
    const clientDataJSON = this.#clientData('webauthn.get', options.challenge, ceremony);
    const signed = Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]);
    // ECDSA signatures from node:crypto are DER-encoded, as WebAuthn wants them.
    const signature = sign('sha256', signed, ceremony.signWith ?? this.#privateKey);
    const userHandle = ceremony.userHandle === undefined ? this.userHandle : ceremony.userHandle;
    return {
      id: this.id,
      rawId: this.id,
      type: 'public-key',
      response: {
        clientDataJSON,
        authenticatorData: b64(authData),
        signature: b64(signature),
        ...(userHandle ? { userHandle } : {}),
      },
      clientExtensionResults: {},
      authenticatorAttachment: 'platform',
    };
  }

  #header(ceremony: Ceremony, extraFlags: number, counter: number): Buffer {
    const flags = UP | (ceremony.userVerified === false ? 0 : UV) | extraFlags;
    const count = Buffer.alloc(4);
    count.writeUInt32BE(counter);
    return Buffer.concat([sha256(ceremony.rpId ?? this.site.rpId), Buffer.from([flags]), count]);
  }

  #clientData(type: string, challenge: string, ceremony: Ceremony): string {
    const data = {
      type: ceremony.type ?? type,
      challenge: ceremony.challenge ?? challenge,
      origin: ceremony.origin ?? this.site.origin,
      crossOrigin: false,
    };
    return Buffer.from(JSON.stringify(data), 'utf8').toString('base64url');
  }
}
