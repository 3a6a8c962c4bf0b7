// The write client's retry strategy: a write is sent again only when it certainly applied nothing.
import { describe, expect, it } from 'vitest';
import { answeredThrottles } from '../../lib/dynamodb.ts';

type RetryInfo = Parameters<ReturnType<typeof answeredThrottles>['refreshRetryTokenForRetry']>[1];

const info = (errorType: RetryInfo['errorType'], code?: string): RetryInfo => ({
  errorType,
  error: Object.assign(new Error(errorType), code === undefined ? {} : { code }) as RetryInfo['error'],
});

describe('answeredThrottles', () => {
  it('retries a throttle DynamoDB answered, and a connection never made, up to maxAttempts in all', async () => {
    const strategy = answeredThrottles(3);
    const first = await strategy.acquireInitialRetryToken('');
    expect(first.getRetryCount()).toBe(0);
    const second = await strategy.refreshRetryTokenForRetry(first, info('THROTTLING'));
    expect(second.getRetryCount()).toBe(1);
    const third = await strategy.refreshRetryTokenForRetry(second, info('TRANSIENT', 'ECONNREFUSED'));
    expect(third.getRetryCount()).toBe(2);
    await expect(strategy.refreshRetryTokenForRetry(third, info('THROTTLING'))).rejects.toThrow('THROTTLING');
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
      await expect(strategy.refreshRetryTokenForRetry(first, info('TRANSIENT', code))).resolves.toBeDefined();
    }
  });

  it('never retries what may have applied: no answer, a server error, a reset connection', async () => {
    const strategy = answeredThrottles(5);
    const first = await strategy.acquireInitialRetryToken('');
    for (const [type, code] of [
      ['TRANSIENT', 'ECONNRESET'],
      ['TRANSIENT', undefined],
      ['SERVER_ERROR', undefined],
      ['CLIENT_ERROR', undefined],
    ] as const) {
      const failure = info(type, code);
      await expect(strategy.refreshRetryTokenForRetry(first, failure)).rejects.toBe(failure.error);
    }
  });

  it('waits a random delay up to 500 ms times 2 to the power of the retry, at most 20 s', async () => {
    const strategy = answeredThrottles(20);
    let token = await strategy.acquireInitialRetryToken('');
    const ceilings: number[] = [];
    for (let retry = 1; retry <= 8; retry++) {
      token = await strategy.refreshRetryTokenForRetry(token, info('THROTTLING'));
      const delays = Array.from({ length: 200 }, () => token.getRetryDelay());
      expect(Math.min(...delays)).toBeGreaterThanOrEqual(0);
      ceilings.push(Math.min(20_000, 500 * 2 ** retry));
      expect(Math.max(...delays)).toBeLessThanOrEqual(ceilings.at(-1) as number);
      // The delays spread over most of the range, not one value.
      expect(Math.max(...delays)).toBeGreaterThan((ceilings.at(-1) as number) / 2);
    }
    expect(ceilings.at(-1)).toBe(20_000);
  });
});
