// The requests every benchmark server gets: the same bytes for auditkit, the bare frameworks and the peers.

const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
/** A bearer JWT naming the operator (decoded, not verified: no keys are configured). */
export const JWT = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: 'alice', exp: 4102444800 })}.c2lnbmF0dXJl`;

/** A ~1 KB JSON body with the secrets a redactor must catch, and the personal data an auditor wants kept. */
export const BODY = JSON.stringify({
  name: 'Ada Lovelace',
  email: 'ada@example.com',
  password: 'correct horse battery staple',
  token: 'tok_5f2b7c9e1d4a',
  address: { street: '12 St James Square', city: 'London', postcode: 'SW1Y 4JH', country: 'GB' },
  roles: ['admin', 'billing'],
  preferences: { newsletter: false, locale: 'en-GB', timezone: 'Europe/London' },
  bio: 'Mathematician and writer, chiefly known for her work on the Analytical Engine. '.repeat(8),
});

export const POST = {
  path: '/api/users/42',
  method: 'POST',
  body: BODY,
  headers: { 'content-type': 'application/json', authorization: `Bearer ${JWT}`, 'user-agent': 'autocannon-bench/1.0' },
};

export const GET = { path: '/api/health', method: 'GET', headers: { 'user-agent': 'autocannon-bench/1.0' } };
