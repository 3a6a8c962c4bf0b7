// npm run deploy:rehearsal: the README's deploy recipe, run for real against moto's server (an AWS
// emulator: S3, SSM, CloudFormation, IAM, Lambda, DynamoDB, SNS) with dummy credentials. For dev and for
// prod, each on a fresh emulator as on its own account: put the README's SSM parameters, run
// `sls deploy --stage <stage>`, check the stack from outside (function, IAM statements, table, SSM
// references, alarms, the API route and outputs as deployed), run `sls info` and `sls remove`, and stop
// what it started. Exit 1 on a failed check. What moto cannot show is listed in docs/deploy.md.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConcurrencyCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { MOTO_INSTALL_HINT, motoAvailable, startMoto } from '../dev/local-dynamodb.ts';

const SERVICE = 'agno-update-learning';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012'; // moto's default account
// The README's SSM recipe, with its placeholders filled in.
const POOL = `${REGION}_Rehearsal`;
const ssmValues = {
  'jwt-jwks-url': `https://cognito-idp.${REGION}.amazonaws.com/${POOL}/.well-known/jwks.json`,
  'jwt-issuer': `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`,
  'jwt-audience': '4b2rehearsalappclientid',
};
// dev deploys with the defaults: no reservation, so the concurrency alarm watches the function's share of
// the account's pool (throttlingRateLimit executions). prod opts in to a reservation (docs/deploy.md).
const expected = {
  dev: { params: [], reservedConcurrency: undefined, concurrencyAlarm: 100 },
  prod: { params: ['--param=reservedConcurrency=300'], reservedConcurrency: 300, concurrencyAlarm: 240 },
};

if (!motoAvailable()) {
  console.error(`deploy:rehearsal needs ${MOTO_INSTALL_HINT}`);
  process.exit(2);
}

let failed = 0;
const check = (name: string, ok: boolean, detail: unknown = '') => {
  console.log(
    `${ok ? 'ok  ' : 'FAIL'}  ${name}${ok ? '' : `: ${typeof detail === 'string' ? detail : JSON.stringify(detail)}`}`,
  );
  if (!ok) failed++;
};

function sls(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('node_modules/.bin/sls', args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

// IAM returns the policy URL-encoded JSON; moto 5 returns it as a Python literal (single quotes), which
// for these documents (no quotes or booleans inside values) differs from JSON only in its quotes.
function policyDocument(text: string) {
  const decoded = decodeURIComponent(text);
  try {
    return JSON.parse(decoded);
  } catch {
    return JSON.parse(decoded.replaceAll("'", '"'));
  }
}

type Resource = { Type: string; Properties: Record<string, unknown> };

async function rehearse(stage: 'dev' | 'prod'): Promise<void> {
  console.log(`\n# ${stage}`);
  const moto = await startMoto();
  const work = await mkdtemp(join(tmpdir(), 'deploy-rehearsal-'));
  try {
    const aws = {
      endpoint: moto.endpoint,
      region: REGION,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    };
    const env = {
      ...process.env,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_REGION: REGION,
      AWS_PROFILE: '',
      SLS_TELEMETRY_DISABLED: '1',
      SLS_NOTIFICATIONS_MODE: 'off',
      ESBUILD_WORK_FOLDER: work,
    };
    const ssm = new SSMClient(aws);
    for (const [name, value] of Object.entries(ssmValues)) {
      await ssm.send(new PutParameterCommand({ Name: `/${SERVICE}/${stage}/${name}`, Value: value, Type: 'String' }));
    }

    const deploy = await sls(['deploy', '--stage', stage, ...expected[stage].params], env);
    check('sls deploy succeeds', deploy.code === 0, deploy.output.slice(-2000));
    if (deploy.code !== 0) return;

    const stackName = `${SERVICE}-${stage}`;
    const cloudFormation = new CloudFormationClient(aws);
    const [stack] = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
    check(
      'the stack is complete',
      /_COMPLETE$/.test(stack?.StackStatus ?? '') && !/ROLLBACK/.test(stack?.StackStatus ?? ''),
      stack?.StackStatus,
    );
    const template = JSON.parse(
      (await cloudFormation.send(new GetTemplateCommand({ StackName: stackName }))).TemplateBody ?? '{}',
    ) as { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };
    const resources =
      (await cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName }))).StackResourceSummaries ?? [];
    const physical = (logicalId: string) =>
      resources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;

    // The function, as Lambda holds it.
    const functionName = `${stackName}-updateLearning`;
    const lambda = new LambdaClient(aws);
    const dynamoDbClient = new DynamoDBClient(aws);
    const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
    check(
      'the function runs nodejs22.x, 512 MB, 10 s, the bundled handler',
      fn.Runtime === 'nodejs22.x' &&
        fn.MemorySize === 512 &&
        fn.Timeout === 10 &&
        fn.Handler === 'handlers/update-learning.handler',
      fn,
    );
    const variables = fn.Environment?.Variables ?? {};
    check(
      'identity settings are SSM references, never values in the template',
      variables.JWT_JWKS_URL === `{{resolve:ssm:/${SERVICE}/${stage}/jwt-jwks-url}}` &&
        variables.JWT_ISSUER === `{{resolve:ssm:/${SERVICE}/${stage}/jwt-issuer}}` &&
        variables.JWT_AUDIENCE === `{{resolve:ssm:/${SERVICE}/${stage}/jwt-audience}}`,
      variables,
    );
    check(
      'the table and the verification settings are configured',
      variables.LEARNINGS_TABLE === 'agno_learnings' &&
        variables.JWT_ALGORITHMS === 'RS256' &&
        variables.JWT_CLAIMS_FROM_API_GATEWAY === 'false',
      variables,
    );
    const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
    check(
      expected[stage].reservedConcurrency === undefined
        ? 'no concurrency is reserved (the default: a new account may have no room for a reservation)'
        : `reserved concurrency is ${expected[stage].reservedConcurrency} (reservedConcurrency)`,
      concurrency.ReservedConcurrentExecutions === expected[stage].reservedConcurrency,
      concurrency.ReservedConcurrentExecutions,
    );

    // The role may call UpdateItem and GetItem on the table, and nothing else on DynamoDB.
    const roleName = fn.Role?.split('/').pop() ?? '';
    const iam = new IAMClient(aws);
    const statements: { Effect: string; Action: string | string[]; Resource: unknown }[] = [];
    for (const policyName of (await iam.send(new ListRolePoliciesCommand({ RoleName: roleName }))).PolicyNames ?? []) {
      const policy = await iam.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName }));
      statements.push(...policyDocument(policy.PolicyDocument ?? '{}').Statement);
    }
    const dynamoDb = statements.filter((s) => [s.Action].flat().some((action) => action.startsWith('dynamodb:')));
    check(
      'IAM: exactly UpdateItem and GetItem, on exactly the table',
      JSON.stringify(dynamoDb) ===
        JSON.stringify([
          {
            Effect: 'Allow',
            Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
            Resource: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/agno_learnings`],
          },
        ]),
      dynamoDb,
    );

    const table = (await dynamoDbClient.send(new DescribeTableCommand({ TableName: 'agno_learnings' }))).Table;
    check(
      'the table exists, keyed by learning_id, on demand, with deletion protection',
      table?.KeySchema?.[0]?.AttributeName === 'learning_id' &&
        table.BillingModeSummary?.BillingMode === 'PAY_PER_REQUEST' &&
        table.DeletionProtectionEnabled === true,
      table,
    );
    check(
      'the stack created the alarm topic',
      physical('AlarmTopic')?.startsWith(`arn:aws:sns:${REGION}:${ACCOUNT}:`) === true,
      physical('AlarmTopic'),
    );

    // What moto's CloudFormation accepts but does not create (the HTTP API, the alarms): read back from
    // the deployed template.
    const ofType = (type: string) => Object.values(template.Resources).filter((r) => r.Type === type);
    const routes = ofType('AWS::ApiGatewayV2::Route').map((r) => r.Properties.RouteKey);
    check(
      'the deployed template routes exactly PATCH /learnings/{learning_id}',
      JSON.stringify(routes) === JSON.stringify(['PATCH /learnings/{learning_id}']),
      routes,
    );
    const concurrencyAlarm = template.Resources.LambdaConcurrencyAlarm?.Properties;
    check(
      `the deployed template has the 8 alarms (concurrency at ${expected[stage].concurrencyAlarm})`,
      ofType('AWS::CloudWatch::Alarm').length === 8 && concurrencyAlarm?.Threshold === expected[stage].concurrencyAlarm,
      ofType('AWS::CloudWatch::Alarm').length,
    );
    check(
      'the deployed template outputs the API URL',
      template.Outputs?.HttpApiUrl !== undefined,
      Object.keys(template.Outputs ?? {}),
    );
    const outputs = stack?.Outputs ?? [];
    const url = outputs.find((output) => output.OutputKey === 'HttpApiUrl')?.OutputValue;

    const info = await sls(['info', '--stage', stage], env);
    check(
      'sls info names the stage and the stack',
      info.code === 0 && info.output.includes(`stage: ${stage}`) && info.output.includes(`stack: ${stackName}`),
      info.output,
    );
    const endpoint = /endpoint: PATCH - (\S+)/.exec(info.output)?.[1];
    if (url === undefined && endpoint === undefined) {
      console.log(
        'note  moto creates no HTTP API and returns no stack outputs: sls info prints no endpoint and no function',
      );
    } else {
      check('sls info prints the URL the stack outputs', endpoint === `${url}/learnings/{learning_id}`, {
        endpoint,
        url,
      });
    }

    const remove = await sls(['remove', '--stage', stage], env);
    check('sls remove succeeds', remove.code === 0, remove.output.slice(-2000));
    const left = await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })).then(
      (answer) => answer.Stacks?.[0]?.StackStatus,
      () => 'gone',
    );
    check('the stack is gone', left === 'gone' || left === 'DELETE_COMPLETE', left);
    const kept = await dynamoDbClient.send(new DescribeTableCommand({ TableName: 'agno_learnings' })).then(
      () => true,
      () => false,
    );
    check('the table outlives the stack (Retain)', kept);
  } finally {
    await moto.close();
    await rm(work, { recursive: true, force: true });
  }
}

await rehearse('dev');
await rehearse('prod');
console.log(failed === 0 ? '\ndeploy rehearsal: all checks passed' : `\ndeploy rehearsal: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
