/**
 * The drill's only way in: HTTP to the instance's URL, like any outsider. It never imports the
 * platform's modules or opens its database; what it knows, it learned from answers.
 */
export interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export class DrillClient {
  readonly #base: string;
  readonly #token: string | null;

  constructor(baseUrl: string, token: string | null = null) {
    this.#base = baseUrl.replace(/\/+$/, '');
    this.#token = token;
  }

  as(token: string | null): DrillClient {
    return new DrillClient(this.#base, token);
  }

  async request(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    // biome-ignore lint/style/noRestrictedGlobals: an outside client of the operator's own instance, at the URL the operator gives (loopback included); never a URL from a request
    const response = await fetch(`${this.#base}${path}`, {
      method,
      headers: {
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    let parsed: unknown = null;
    try {
      parsed = text ? JSON.parse(text) : null;
    } catch {
      parsed = null;
    }
    return { status: response.status, body: parsed, text };
  }

  get = (path: string) => this.request('GET', path);
  post = (path: string, body?: unknown) => this.request('POST', path, body ?? {});
  patch = (path: string, body: unknown) => this.request('PATCH', path, body);
}

/** A shopper the drill signed up itself: its personal data is the drill's ground truth. */
export interface DrillShopper {
  readonly client: DrillClient;
  readonly userId: string;
  readonly email: string;
  /** The password the drill chose: a "leaked" one for the stuffing scenario. */
  readonly password: string;
  readonly phone: string;
  readonly fullName: string;
}

let counter = 0;

/**
 * Signs a shopper up through the public route and logs them in, as anyone on the internet can. Every
 * personal value it types is `plant`ed: the dump scenario looks for exactly these.
 */
export async function signUpShopper(
  context: { readonly anonymous: DrillClient; plant(value: string): void },
  label: string,
): Promise<DrillShopper> {
  const anonymous = context.anonymous;
  counter += 1;
  const stamp = `${Date.now().toString(36)}${process.pid.toString(36)}${counter}`;
  const email = `drill-${label}-${stamp}@example.test`;
  const password = `Drill-${stamp}-horse-battery`;
  const fullName = `Drill ${label} ${stamp}`;
  const phone = `+4860${String(1_000_000 + ((Date.now() + counter) % 8_999_999)).slice(0, 7)}`;
  for (const value of [email, fullName, phone]) context.plant(value);
  const registered = await anonymous.post('/v1/auth/register', {
    email,
    password,
    fullName,
    phone,
    country: 'PL',
  });
  if (registered.status !== 201)
    throw new Error(`sign-up refused (${registered.status}): ${registered.text.slice(0, 200)}`);
  const tokens = await anonymous.post('/v1/auth/token', { email, password });
  if (tokens.status !== 200)
    throw new Error(`login refused (${tokens.status}): ${tokens.text.slice(0, 200)}`);
  const client = anonymous.as((tokens.body as { accessToken: string }).accessToken);
  const me = (await client.get('/v1/me')).body as { id: string };
  return { client, userId: me.id, email, password, phone, fullName };
}
