// A Node team's suite against the mock: the official @vonage/accounts SDK, unmodified, with both of its hosts at the
// mock's URL, and the mock's control API over plain fetch (reset, seed, journal, faults). The mock runs as a CI
// service started outside this file: `with-mock.sh node --test accounts.test.mjs` sets $VONAGE_ACCOUNT_MOCK_URL.
import assert from 'node:assert/strict';
import { beforeEach, test } from 'node:test';

import { Accounts, Secrets } from '@vonage/accounts';

const MOCK = process.env.VONAGE_ACCOUNT_MOCK_URL;
assert.ok(MOCK, 'set VONAGE_ACCOUNT_MOCK_URL to a running mock (with-mock.sh does)');
const KEY = 'node0001';
const SECRET = 'Node1secretX';
const TRX = '8ef2447e69604f642ae59363aa5f781b';

// The control API, from any HTTP client: JSON bodies, the token header only if the mock was given one.
async function control(method, path, body) {
  const response = await fetch(`${MOCK}/_mock${path}`, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (!response.ok) assert.fail(`${method} /_mock${path} answered ${response.status}: ${await response.text()}`);
  return response.status === 204 ? null : response.json();
}

const options = { restHost: MOCK, apiHost: MOCK }; // the rest host's /account/... and the api host's /accounts/...
const accounts = () => new Accounts({ apiKey: KEY, apiSecret: SECRET }, options);
const secrets = () => new Secrets({ apiKey: KEY, apiSecret: SECRET }, options);

beforeEach(async () => {
  await control('POST', '/reset');
  await control('PUT', `/accounts/${KEY}`, {
    secrets: [SECRET],
    balance: '12.50',
    auto_reload: { enabled: true, trx: TRX, amount: '10.00' },
  });
});

test('the balance is the seeded one, and the journal saw the call', async () => {
  const balance = await accounts().getBalance();
  assert.equal(balance.value, 12.5);
  assert.equal(balance.autoReload, true);
  const { entries } = await control('GET', `/journal?operation_id=get_balance&account=${KEY}`);
  assert.deepEqual(entries.map((entry) => entry.status), [200]);
});

test('a top-up adds the auto-reload amount', async () => {
  await accounts().topUpBalance(TRX);
  assert.equal((await accounts().getBalance()).value, 22.5);
});

test('webhooks are stored and answered back', async () => {
  const settings = await accounts().updateAccountCallbacks({ moCallBackUrl: 'https://example.com/inbound' });
  assert.equal(settings['mo-callback-url'], 'https://example.com/inbound'); // the SDK hands on the wire's names
});

test('secrets rotate: at most two, and the old one stops working once revoked', async () => {
  const [old] = (await secrets().listSecrets(KEY))._embedded.secrets;
  const created = await secrets().createSecret(KEY, 'Node2secretX');
  await assert.rejects(secrets().createSecret(KEY, 'Node3secretX'), /403|Forbidden/);
  const rotated = new Secrets({ apiKey: KEY, apiSecret: 'Node2secretX' }, options);
  await rotated.deleteSecret(KEY, old.id);
  const left = (await rotated.listSecrets(KEY))._embedded.secrets.map((secret) => secret.id);
  assert.deepEqual(left, [created.id]);
  await assert.rejects(accounts().getBalance(), /401|Unauthorized/);
});

test('a planned 429 reaches the SDK as an error', async () => {
  await control('POST', '/faults', { operation_id: 'get_balance', status: 429, times: 1 });
  await assert.rejects(accounts().getBalance(), /429|Too Many Requests/);
  assert.equal((await accounts().getBalance()).value, 12.5);
});
