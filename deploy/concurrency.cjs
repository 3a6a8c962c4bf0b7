// The function's reserved concurrency (param reservedConcurrency) and the alarms that follow from it,
// decided at packaging time.
//
// Blank (the default): no reservation. Lambda refuses a reservation that would leave the account fewer
// unreserved concurrent executions than its minimum, and a new account's quota is often below that minimum,
// so a deploy that reserves fails there. A whole number: that many executions reserved for the function and
// no more (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html). docs/deploy.md
// says how to size it.

/** The reservation, or undefined when reservedConcurrency is blank. */
async function reservation(resolveVariable) {
  const text = String((await resolveVariable('param:reservedConcurrency')) ?? '').trim();
  if (text === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new Error(`reservedConcurrency must be blank (no reservation) or a whole number from 1, got ${text}`);
  }
  return value;
}

// serverless.yml: ${file(./deploy/concurrency.cjs):reservedConcurrency, null}. A source that gives null
// falls back to the literal null, which the framework reads as no reservedConcurrency at all.
module.exports.reservedConcurrency = async ({ resolveVariable }) => (await reservation(resolveVariable)) ?? null;

// With a reservation, the alarm fires at 80 % of it: near the cap, requests start to be throttled. Without
// one, it fires when the function holds as many executions as API Gateway admits requests in a second
// (throttlingRateLimit): every admitted request would have to last a whole second, when they last tens of
// milliseconds, so DynamoDB is hanging under load and the function is drawing on the pool the account's
// other functions share.
module.exports.concurrencyAlarmThreshold = async ({ resolveVariable }) => {
  const reserved = await reservation(resolveVariable);
  if (reserved !== undefined) return Math.max(1, Math.floor(reserved * 0.8));
  const rate = Number(await resolveVariable('param:throttlingRateLimit'));
  if (!Number.isInteger(rate) || rate < 1) throw new Error(`throttlingRateLimit must be a whole number, got ${rate}`);
  return rate;
};

module.exports.concurrencyAlarmDescription = async ({ resolveVariable }) => {
  const reserved = await reservation(resolveVariable);
  return reserved === undefined
    ? "The function holds many of the account's unreserved concurrent executions (DynamoDB slow under load?)"
    : `Concurrent executions are near the reserved concurrency (${reserved})`;
};

module.exports.throttlesAlarmDescription = async ({ resolveVariable }) =>
  (await reservation(resolveVariable)) === undefined
    ? "Invocations were throttled: the account's concurrency is exhausted"
    : 'Invocations were throttled: the reserved concurrency is reached';
