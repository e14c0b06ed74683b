const TIMEOUT_MS = 5000;

export class IdpUnavailableError extends Error {}

/** fetch with a timeout; network failures and 5xx become IdpUnavailableError (temporary). */
export async function callIdp(url: string, init: RequestInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
  } catch (error) {
    throw new IdpUnavailableError(`IdP unreachable at ${new URL(url).origin}: ${(error as Error).message}`);
  }
  if (response.status >= 500) {
    throw new IdpUnavailableError(`IdP answered HTTP ${response.status} at ${url}`);
  }
  return response;
}

export async function jsonObject(response: Response, what: string): Promise<Record<string, unknown>> {
  const body: unknown = await response.json().catch(() => undefined);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new IdpUnavailableError(`${what} is not a JSON object`);
  }
  return body as Record<string, unknown>;
}
