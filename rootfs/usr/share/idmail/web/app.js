// The self-service page: signs in at the IdP (authorization code + PKCE, as a public client),
// keeps the access token in this tab only, and manages the person's app passwords through /api.
const $ = (id) => document.getElementById(id);
const session = window.sessionStorage;

function base64url(bytes) {
  return btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}
const randomText = () => base64url(crypto.getRandomValues(new Uint8Array(32)));
const redirectUri = () => `${location.origin}/`;

function show(message, isError = false) {
  $('message').textContent = message;
  $('message').className = isError ? 'error' : '';
}

async function json(response) {
  const body = response.status === 204 ? null : await response.json();
  if (!response.ok)
    throw new Error(body?.message ?? body?.error_description ?? body?.error ?? `HTTP ${response.status}`);
  return body;
}

async function signIn(config, discovery) {
  const verifier = randomText();
  const state = randomText();
  session.setItem('pkce', JSON.stringify({ verifier, state }));
  const challenge = base64url(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier)));
  const url = new URL(discovery.authorization_endpoint);
  const params = {
    response_type: 'code',
    client_id: config.clientId,
    redirect_uri: redirectUri(),
    scope: 'openid email',
    state,
    code_challenge: challenge,
    code_challenge_method: 'S256',
  };
  // RFC 8707: ask for a token meant for the mail server (IdPs that do not know the parameter ignore it).
  if (config.audience) params.resource = config.audience;
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  location.assign(url);
}

async function finishSignIn(config, discovery, query) {
  const saved = JSON.parse(session.getItem('pkce') ?? 'null');
  session.removeItem('pkce');
  history.replaceState(null, '', '/');
  if (!saved || saved.state !== query.get('state'))
    throw new Error('the sign-in answer does not belong to this page; try again');
  const form = {
    grant_type: 'authorization_code',
    code: query.get('code'),
    redirect_uri: redirectUri(),
    client_id: config.clientId,
    code_verifier: saved.verifier,
  };
  if (config.audience) form.resource = config.audience;
  const token = await json(await fetch(discovery.token_endpoint, { method: 'POST', body: new URLSearchParams(form) }));
  session.setItem('token', token.access_token);
}

const api = (path, options = {}) =>
  fetch(path, {
    ...options,
    headers: {
      authorization: `Bearer ${session.getItem('token')}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
  });

const when = (value) => (value ? new Date(value).toLocaleString() : '—');

async function refresh() {
  const response = await api('/api/app-passwords');
  if (response.status === 401) {
    session.removeItem('token');
    return render(false);
  }
  const { account, appPasswords } = await json(response);
  $('account').textContent = account;
  $('app-passwords').replaceChildren(
    ...appPasswords.map((item) => {
      const row = document.createElement('tr');
      row.dataset.id = item.id;
      for (const text of [
        item.name,
        item.protocols.join(', '),
        when(item.createdAt),
        when(item.expiresAt),
        item.lastUsedAt ? `${when(item.lastUsedAt)} (${item.lastUsedIp})` : 'never',
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      const revoke = document.createElement('button');
      revoke.type = 'button';
      revoke.textContent = 'Revoke';
      revoke.addEventListener('click', () => revokeOne(item));
      const cell = document.createElement('td');
      cell.append(revoke);
      row.append(cell);
      return row;
    }),
  );
  render(true);
}

function render(signedIn) {
  $('signed-in').hidden = !signedIn;
  $('signed-out').hidden = signedIn;
}

async function revokeOne(item) {
  await json(await api(`/api/app-passwords/${encodeURIComponent(item.id)}`, { method: 'DELETE' }));
  show(`"${item.name}" revoked: it no longer signs in.`);
  await refresh();
}

async function create(event) {
  event.preventDefault();
  const protocols = [...document.querySelectorAll('input[name=protocol]:checked')].map((box) => box.value);
  const body = {
    name: $('name').value,
    protocols,
    ...($('expires').value ? { expiresInDays: Number($('expires').value) } : {}),
  };
  const created = await json(await api('/api/app-passwords', { method: 'POST', body: JSON.stringify(body) }));
  $('new-password').textContent = created.password;
  $('created').hidden = false;
  $('create').reset();
  show(`"${created.appPassword.name}" created.`);
  await refresh();
}

async function main() {
  const config = await json(await fetch('/config.json'));
  if (!config.discoveryUrl || !config.clientId)
    return show('Self-service sign-in is not configured here (OAUTH2_ISSUER and SELF_SERVICE_CLIENT_ID).', true);
  const discovery = await json(await fetch(config.discoveryUrl));
  $('sign-in').addEventListener('click', () => signIn(config, discovery).catch((error) => show(error.message, true)));
  $('sign-out').addEventListener('click', () => {
    session.removeItem('token');
    render(false);
  });
  $('create').addEventListener('submit', (event) => create(event).catch((error) => show(error.message, true)));
  const query = new URLSearchParams(location.search);
  if (query.has('error'))
    show(`The identity provider refused: ${query.get('error_description') ?? query.get('error')}`, true);
  if (query.has('code')) await finishSignIn(config, discovery, query);
  if (session.getItem('token')) await refresh();
  else render(false);
}

main().catch((error) => show(error.message, true));
