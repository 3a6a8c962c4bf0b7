// npm run deploy:rehearsal: the README's deploy recipe, run for real against moto's server (an AWS
// emulator: S3, SSM, CloudFormation, IAM, Lambda, DynamoDB, CloudWatch Logs, SNS) with dummy credentials.
// Each stage on a fresh emulator, as on its own account:
//  - dev: put the README's SSM parameters, `sls deploy`, check the stack from outside (function, IAM
//    statements, table, identity settings, alarms, the API route and outputs as deployed) and `sls info`;
//    write a learning; change an SSM parameter and deploy again (the function must get the new value);
//    `sls remove` (the table and the log groups stay) and `sls deploy` again on the same account (it must
//    succeed, the learning still there).
//  - prod: a first create that fails part way (a resource of the package collides with one the account
//    already has), CloudFormation's rollback played as moto lacks it, a learning written to the table the
//    failed create left, then `sls deploy` with a reserved concurrency (it must succeed, the learning still
//    there), the same checks, `sls info` and `sls remove`.
// Exit 1 on a failed check. What moto cannot show is listed in docs/deploy.md.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CloudFormationClient,
  CreateStackCommand,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
} from '@aws-sdk/client-cloudformation';
// The serverless CLI's own dependency: the rehearsal reads log groups with it.
import { CloudWatchLogsClient, DescribeLogGroupsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { GetRolePolicyCommand, IAMClient, ListRolePoliciesCommand } from '@aws-sdk/client-iam';
import { GetFunctionConcurrencyCommand, GetFunctionConfigurationCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { MOTO_INSTALL_HINT, motoAvailable, startMoto } from '../dev/local-dynamodb.ts';

const SERVICE = 'agno-update-learning';
const REGION = 'us-east-1';
const ACCOUNT = '123456789012'; // moto's default account
const TABLE = 'agno_learnings';
// The README's SSM recipe, with its placeholders filled in.
const POOL = `${REGION}_Rehearsal`;
const ssmValues = {
  'jwt-jwks-url': `https://cognito-idp.${REGION}.amazonaws.com/${POOL}/.well-known/jwks.json`,
  'jwt-issuer': `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`,
  'jwt-audience': '4b2rehearsalappclientid',
};
// A learning written between deploys: every deploy after it must leave it as it was.
const SEEDED = { learning_id: { S: 'lrn_rehearsal' }, user_id: { S: 'alice' }, content: { S: 'kept' } };

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

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; output: string }> {
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
type Stage = 'dev' | 'prod';

/** One emulated account: its clients, and the serverless CLI pointed at it. */
async function account(stage: Stage) {
  const moto = await startMoto();
  const work = await mkdtemp(join(tmpdir(), 'deploy-rehearsal-'));
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
  const stackName = `${SERVICE}-${stage}`;
  const cloudFormation = new CloudFormationClient(aws);
  const dynamoDb = new DynamoDBClient(aws);
  const logs = new CloudWatchLogsClient(aws);
  const ssm = new SSMClient(aws);
  const logGroups = [`/aws/lambda/${stackName}-updateLearning`, `/aws/http-api/${stackName}`];
  return {
    stage,
    stackName,
    work,
    aws,
    cloudFormation,
    dynamoDb,
    ssm,
    logGroups,
    sls: (...args: string[]) => run([...args, '--stage', stage], env),
    putSetting: (name: string, value: string) =>
      ssm.send(
        new PutParameterCommand({
          Name: `/${SERVICE}/${stage}/${name}`,
          Value: value,
          Type: 'String',
          Overwrite: true,
        }),
      ),
    stackStatus: () =>
      cloudFormation.send(new DescribeStacksCommand({ StackName: stackName })).then(
        (answer) => answer.Stacks?.[0]?.StackStatus,
        () => 'gone',
      ),
    stackResources: async () =>
      (await cloudFormation.send(new ListStackResourcesCommand({ StackName: stackName }))).StackResourceSummaries ?? [],
    tableExists: () =>
      dynamoDb.send(new DescribeTableCommand({ TableName: TABLE })).then(
        () => true,
        () => false,
      ),
    existingLogGroups: async () => {
      const names: string[] = [];
      for (const name of logGroups) {
        const found = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
        if (found.logGroups?.some((group) => group.logGroupName === name)) names.push(name);
      }
      return names;
    },
    logRetentions: async () => {
      const days: (number | undefined)[] = [];
      for (const name of logGroups) {
        const found = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: name }));
        days.push(found.logGroups?.find((group) => group.logGroupName === name)?.retentionInDays);
      }
      return days;
    },
    seed: () => dynamoDb.send(new PutItemCommand({ TableName: TABLE, Item: SEEDED })),
    seeded: async () =>
      JSON.stringify(
        (await dynamoDb.send(new GetItemCommand({ TableName: TABLE, Key: { learning_id: SEEDED.learning_id } }))).Item,
      ) === JSON.stringify(SEEDED),
    close: async () => {
      await moto.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
type Account = Awaited<ReturnType<typeof account>>;

/** What a complete deploy of `stage` must give, checked from outside through the AWS APIs. */
async function checkDeployed(
  at: Account,
  expected: { reservedConcurrency: number | undefined; concurrencyAlarm: number; ssm: Record<string, string> },
) {
  const { stage, stackName, cloudFormation, aws } = at;
  const status = await at.stackStatus();
  check('the stack is complete', /_COMPLETE$/.test(status ?? '') && !/ROLLBACK/.test(status ?? ''), status);
  const template = JSON.parse(
    (await cloudFormation.send(new GetTemplateCommand({ StackName: stackName }))).TemplateBody ?? '{}',
  ) as { Resources: Record<string, Resource>; Outputs?: Record<string, unknown> };
  const resources = await at.stackResources();
  const physical = (logicalId: string) => resources.find((r) => r.LogicalResourceId === logicalId)?.PhysicalResourceId;

  // The function, as Lambda holds it.
  const functionName = `${stackName}-updateLearning`;
  const lambda = new LambdaClient(aws);
  const fn = await lambda.send(new GetFunctionConfigurationCommand({ FunctionName: functionName }));
  check(
    'the function runs nodejs24.x, 512 MB, 10 s, the bundled handler',
    fn.Runtime === 'nodejs24.x' &&
      fn.MemorySize === 512 &&
      fn.Timeout === 10 &&
      fn.Handler === 'handlers/update-learning.handler',
    fn,
  );
  const variables = fn.Environment?.Variables ?? {};
  check(
    "identity settings are the SSM parameters' values, read at deploy time",
    variables.JWT_JWKS_URL === expected.ssm['jwt-jwks-url'] &&
      variables.JWT_ISSUER === expected.ssm['jwt-issuer'] &&
      variables.JWT_AUDIENCE === expected.ssm['jwt-audience'],
    variables,
  );
  check(
    'the table and the verification settings are configured',
    variables.LEARNINGS_TABLE === TABLE &&
      variables.JWT_ALGORITHMS === 'RS256' &&
      variables.JWT_CLAIMS_FROM_API_GATEWAY === 'false',
    variables,
  );
  const concurrency = await lambda.send(new GetFunctionConcurrencyCommand({ FunctionName: functionName }));
  check(
    expected.reservedConcurrency === undefined
      ? 'no concurrency is reserved (the default: a new account may have no room for a reservation)'
      : `reserved concurrency is ${expected.reservedConcurrency} (reservedConcurrency)`,
    concurrency.ReservedConcurrentExecutions === expected.reservedConcurrency,
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
  const dynamoDbStatements = statements.filter((s) =>
    [s.Action].flat().some((action) => action.startsWith('dynamodb:')),
  );
  check(
    'IAM: exactly UpdateItem and GetItem, on exactly the table',
    JSON.stringify(dynamoDbStatements) ===
      JSON.stringify([
        {
          Effect: 'Allow',
          Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
          Resource: [`arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/${TABLE}`],
        },
      ]),
    dynamoDbStatements,
  );

  const table = (await at.dynamoDb.send(new DescribeTableCommand({ TableName: TABLE }))).Table;
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
    `the deployed template has the 8 alarms (concurrency at ${expected.concurrencyAlarm})`,
    ofType('AWS::CloudWatch::Alarm').length === 8 && concurrencyAlarm?.Threshold === expected.concurrencyAlarm,
    { alarms: ofType('AWS::CloudWatch::Alarm').length, concurrency: concurrencyAlarm?.Threshold },
  );
  check(
    'the deployed template outputs the API URL',
    template.Outputs?.HttpApiUrl !== undefined,
    Object.keys(template.Outputs ?? {}),
  );

  const info = await at.sls('info');
  check(
    'sls info names the stage and the stack',
    info.code === 0 && info.output.includes(`stage: ${stage}`) && info.output.includes(`stack: ${stackName}`),
    info.output,
  );
  const [stack] = (await cloudFormation.send(new DescribeStacksCommand({ StackName: stackName }))).Stacks ?? [];
  const url = stack?.Outputs?.find((output) => output.OutputKey === 'HttpApiUrl')?.OutputValue;
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
}

/** Deletes the stack; the table and both log groups outlive it, and so does what the table holds. */
async function remove(at: Account) {
  const removed = await at.sls('remove');
  check('sls remove succeeds', removed.code === 0, removed.output.slice(-2000));
  const left = await at.stackStatus();
  check('the stack is gone', left === 'gone' || left === 'DELETE_COMPLETE', left);
  check('the table outlives the stack (Retain), with what it holds', (await at.tableExists()) && (await at.seeded()));
  const kept = await at.existingLogGroups();
  check('both log groups outlive the stack (Retain)', kept.length === 2, kept);
}

/** The retained table and log groups are the stack's to use, not to own: it neither created nor holds them. */
async function checkAdopted(at: Account, logRetentionDays: number) {
  const held = (await at.stackResources())
    .filter((resource) => ['AWS::DynamoDB::Table', 'AWS::Logs::LogGroup'].includes(resource.ResourceType ?? ''))
    .map((resource) => resource.PhysicalResourceId);
  check('the stack uses the table and log groups it found, and holds none of them', held.length === 0, held);
  const retentions = await at.logRetentions();
  check(
    `the log groups it found have the stage's retention (${logRetentionDays} days)`,
    retentions.every((days) => days === logRetentionDays),
    retentions,
  );
  check('the learning written before is still there', await at.seeded());
}

async function rehearseDev(): Promise<void> {
  console.log('\n# dev: deploy, a changed setting, remove and deploy again');
  const at = await account('dev');
  try {
    for (const [name, value] of Object.entries(ssmValues)) await at.putSetting(name, value);
    const deploy = await at.sls('deploy');
    check('sls deploy succeeds', deploy.code === 0, deploy.output.slice(-2000));
    if (deploy.code !== 0) return;
    // Without a reservation, the concurrency alarm watches the function's share of the account's pool:
    // dev's throttlingRateLimit (100) concurrent executions.
    await checkDeployed(at, { reservedConcurrency: undefined, concurrencyAlarm: 100, ssm: ssmValues });
    await at.seed();

    // A setting changed in SSM reaches the function on the next deploy, with nothing else changed.
    const rotated = {
      ...ssmValues,
      'jwt-issuer': `https://cognito-idp.${REGION}.amazonaws.com/${REGION}_Rotated`,
      'jwt-audience': '4b2rehearsalappclientid,7c3secondclientid',
    };
    await at.putSetting('jwt-issuer', rotated['jwt-issuer']);
    await at.putSetting('jwt-audience', rotated['jwt-audience']);
    const redeploy = await at.sls('deploy');
    check('sls deploy after an SSM parameter changed succeeds', redeploy.code === 0, redeploy.output.slice(-2000));
    const fn = await new LambdaClient(at.aws).send(
      new GetFunctionConfigurationCommand({ FunctionName: `${at.stackName}-updateLearning` }),
    );
    check(
      "the function's configuration has the changed issuer and audience",
      fn.Environment?.Variables?.JWT_ISSUER === rotated['jwt-issuer'] &&
        fn.Environment?.Variables?.JWT_AUDIENCE === rotated['jwt-audience'],
      fn.Environment?.Variables,
    );

    // API Gateway's JWT authorizer (moto does not create it: read back from the deployed template) gets the
    // SSM audience as its list of audiences, not as one string with a comma.
    const authorized = await at.sls('deploy', '--param=claimsFromApiGateway=true');
    check('sls deploy with claimsFromApiGateway=true succeeds', authorized.code === 0, authorized.output.slice(-2000));
    const deployed = JSON.parse(
      (await at.cloudFormation.send(new GetTemplateCommand({ StackName: at.stackName }))).TemplateBody ?? '{}',
    ) as { Resources: Record<string, Resource> };
    const jwt = Object.values(deployed.Resources).find((r) => r.Type === 'AWS::ApiGatewayV2::Authorizer')?.Properties
      .JwtConfiguration;
    check(
      "the authorizer has the SSM issuer, and the SSM audience's two client ids as two audiences",
      JSON.stringify(jwt) ===
        JSON.stringify({ Audience: ['4b2rehearsalappclientid', '7c3secondclientid'], Issuer: rotated['jwt-issuer'] }),
      jwt,
    );

    await remove(at);
    // With another log retention: the log groups found take it, as the stack would have set it.
    const again = await at.sls('deploy', '--param=logRetentionDays=60');
    check('sls deploy after sls remove succeeds, on the same account', again.code === 0, again.output.slice(-2000));
    if (again.code !== 0) return;
    await checkAdopted(at, 60);
    await checkDeployed(at, { reservedConcurrency: undefined, concurrencyAlarm: 100, ssm: rotated });
    await remove(at);
  } finally {
    await at.close();
  }
}

async function rehearseProd(): Promise<void> {
  console.log('\n# prod: a first create that fails part way, then a deploy that succeeds');
  const at = await account('prod');
  try {
    for (const [name, value] of Object.entries(ssmValues)) await at.putSetting(name, value);

    // The injected failure: the package also declares an SSM parameter the account already has, last in the
    // template, so that CloudFormation has created the table and the log groups when it fails.
    const packaged = join(at.work, 'package');
    const pack = await at.sls('package', '--package', packaged);
    check('sls package succeeds', pack.code === 0, pack.output.slice(-2000));
    const stateFile = join(packaged, 'serverless-state.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8'));
    state.service.provider.compiledCloudFormationTemplate.Resources.InjectedCollision = {
      Type: 'AWS::SSM::Parameter',
      Properties: { Name: `/${SERVICE}/prod/jwt-issuer`, Type: 'String', Value: 'collides' },
    };
    await writeFile(stateFile, JSON.stringify(state));
    const broken = await at.sls('deploy', '--package', packaged);
    check('the injected first create fails', broken.code !== 0, broken.output.slice(-2000));
    check(
      'it failed part way: the table and both log groups exist',
      (await at.tableExists()) && (await at.existingLogGroups()).length === 2,
      await at.existingLogGroups(),
    );

    // moto's CloudFormation does not roll back: it keeps in the stack what it created before the failure.
    // CloudFormation's rollback deletes those resources but the retained ones (the table, the log groups)
    // and returns the stack to the template it had, the serverless CLI's first one (its deployment bucket).
    // Played here: the stack deleted (moto keeps retained resources, as the rollback does) and created again
    // from that first template.
    await at.sls('remove');
    await at.cloudFormation.send(
      new CreateStackCommand({
        StackName: at.stackName,
        TemplateBody: await readFile(join(packaged, 'cloudformation-template-create-stack.json'), 'utf8'),
      }),
    );
    // moto lists the bucket policy, a type it skips, with no type.
    const types = (await at.stackResources()).map((resource) => resource.ResourceType).filter(Boolean);
    check(
      "the rolled-back stack holds only the framework's deployment bucket; the table and log groups outlive it",
      types.length > 0 &&
        types.every((type) => type?.startsWith('AWS::S3::')) &&
        (await at.tableExists()) &&
        (await at.existingLogGroups()).length === 2,
      types,
    );
    await at.seed();

    // Opted in: prod reserves concurrency (its account has the quota for it, docs/deploy.md).
    const deploy = await at.sls('deploy', '--param=reservedConcurrency=300');
    check('sls deploy after a failed first create succeeds', deploy.code === 0, deploy.output.slice(-2000));
    if (deploy.code !== 0) return;
    await checkAdopted(at, 365);
    await checkDeployed(at, { reservedConcurrency: 300, concurrencyAlarm: 240, ssm: ssmValues });
    await remove(at);
  } finally {
    await at.close();
  }
}

await rehearseDev();
await rehearseProd();
console.log(failed === 0 ? '\ndeploy rehearsal: all checks passed' : `\ndeploy rehearsal: ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
