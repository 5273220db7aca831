/** A refused request, with the service's own message (it names the problem). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON over fetch to the page's own origin, with the caller's token when there is one. */
export async function callApi<T>(
  method: 'GET' | 'POST',
  path: string,
  { token, body }: { token?: string; body?: unknown } = {},
): Promise<T> {
  const headers: Record<string, string> = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const payload = (await response.json().catch(() => null)) as { message?: unknown } | null;
  if (!response.ok) {
    const message = Array.isArray(payload?.message)
      ? payload.message.join('; ')
      : typeof payload?.message === 'string'
        ? payload.message
        : response.statusText;
    throw new ApiError(response.status, message);
  }
  return payload as T;
}

/** The caller's view of the API: every call made with a valid token. */
export class Api {
  constructor(private readonly getToken: () => Promise<string>) {}

  async get<T>(path: string): Promise<T> {
    return callApi<T>('GET', path, { token: await this.getToken() });
  }

  async post<T>(path: string, body?: unknown): Promise<T> {
    return callApi<T>('POST', path, { token: await this.getToken(), body });
  }
}
