// The Standard Webhooks signature, checked against the reference library (`standardwebhooks`) and the spec's example.

import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret } from '../db/webhooks.js';
import { signedHeaders, webhookSignature } from './webhooks.js';

describe('webhook signatures', () => {
  it('the Standard Webhooks example: same secret, id, timestamp and body give the same signature', () => {
    // The example the Standard Webhooks reference libraries test with.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const id = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
    const timestamp = 1614265330;
    const body = '{"test": 2432232314}';
    expect(webhookSignature(secret, id, timestamp, body)).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
    expect(new Webhook(secret).sign(id, new Date(timestamp * 1000), body)).toBe(webhookSignature(secret, id, timestamp, body));
  });

  it('a fresh secret and its headers verify with the reference library; another body or secret does not', () => {
    const secret = newWebhookSecret();
    const body = JSON.stringify({ id: 'msg_1', type: 'invoice.decided', data: { archiveKey: '2901122334' } });
    const headers = signedHeaders(secret, 'msg_1', Math.floor(Date.now() / 1000), body);
    expect(new Webhook(secret).verify(body, headers)).toMatchObject({ type: 'invoice.decided' });
    expect(() => new Webhook(secret).verify(body.replace('2901122334', '2901122335'), headers)).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});
