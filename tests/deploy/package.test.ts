// `sls package --stage prod` with no AWS credentials, and what the generated CloudFormation template
// promises: runtime, route, least-privilege IAM, a protected table, one bundled file.
import { execFile, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zipEntries } from '../../dev/zip.ts';

type Template = {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; [key: string]: unknown }>;
  Conditions?: Record<string, unknown>;
};

const work = await mkdtemp(join(tmpdir(), 'package-test-'));
const env = {
  ...process.env,
  SLS_TELEMETRY_DISABLED: '1',
  SLS_NOTIFICATIONS_MODE: 'off',
  AWS_ACCESS_KEY_ID: '',
  AWS_SECRET_ACCESS_KEY: '',
  AWS_PROFILE: 'none',
};

async function packageStack(
  name: string,
  params: string[],
  stage = 'prod',
): Promise<{ template: Template; zip: Buffer }> {
  const out = join(work, name);
  await promisify(execFile)(
    'node_modules/.bin/sls',
    ['package', '--stage', stage, '--package', out, ...params.map((param) => `--param=${param}`)],
    {
      env: { ...env, ESBUILD_WORK_FOLDER: join(work, `esbuild-${name}`) },
    },
  );
  return {
    template: JSON.parse(await readFile(join(out, 'cloudformation-template-update-stack.json'), 'utf8')),
    zip: await readFile(join(out, 'updateLearning.zip')),
  };
}

let standard: { template: Template; zip: Buffer };
let existingTables: { template: Template; zip: Buffer };
let dev: { template: Template; zip: Buffer };
let authorized: { template: Template; zip: Buffer };
/** What `sls package` printed when it refused an authorizer configuration; undefined if it packaged it. */
let authorizerRefusal: string | undefined;

beforeAll(async () => {
  // One after the other: serverless-esbuild stages every zip in ./.serverless, whatever --package says.
  standard = await packageStack('standard', []);
  existingTables = await packageStack('existing', [
    'createTable=false',
    'learningsTable=team_learnings',
    'learningsDatabases={"analytics":["analytics_learnings","archived_learnings"]}',
    'corsAllowedOrigins=https://admin.example.com, http://localhost:3001',
    'alarmEmail=oncall@example.com',
    'reservedConcurrency=50',
  ]);
  dev = await packageStack('dev', ['alarmTopicArn=arn:aws:sns:us-east-1:123456789012:oncall'], 'dev');
  authorized = await packageStack('authorized', [
    'claimsFromApiGateway=true',
    'jwtIssuer=https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool',
    'jwtAudience=client-one, client-two',
  ]);
  // What API Gateway's JWT authorizer cannot honour: it verifies RSA signatures only, with the keys the
  // issuer's discovery document names, which it fetches over https.
  authorizerRefusal = await packageStack('refused', [
    'claimsFromApiGateway=true',
    'jwtAlgorithms=RS256,ES256,PS256',
    'jwtVerificationKey=-----BEGIN PUBLIC KEY-----x',
    'jwtJwksUrl=https://idp.example/keys.json',
    'jwtJwksFile=keys.json',
    'jwtIssuer=http://idp.example',
    'jwtAudience=client-one',
  ]).then(
    () => undefined,
    (error: { stdout?: string; stderr?: string }) => `${error.stdout ?? ''}${error.stderr ?? ''}`,
  );
}, 300_000);
afterAll(() => rm(work, { recursive: true, force: true }));

const resourcesOfType = (template: Template, type: string) =>
  Object.values(template.Resources).filter((resource) => resource.Type === type);
const tableArn = (table: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':dynamodb:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:table/${table}`,
    ],
  ],
});
function dynamoDbStatements(template: Template) {
  const [role] = resourcesOfType(template, 'AWS::IAM::Role');
  const policies = role?.Properties.Policies as {
    PolicyDocument: { Statement: { Action: string[]; Resource: unknown[] }[] };
  }[];
  return policies
    .flatMap((policy) => policy.PolicyDocument.Statement)
    .filter((statement) => statement.Action.some((action) => action.startsWith('dynamodb:')));
}

describe('the production package', () => {
  it('is one Node 24 arm64 function, 512 MB, 10 s, running a single bundled ESM file', () => {
    const [fn] = resourcesOfType(standard.template, 'AWS::Lambda::Function');
    expect(fn?.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 512,
      Timeout: 10,
      Handler: 'handlers/update-learning.handler',
    });
    const entries = zipEntries(standard.zip);
    expect(entries.map((entry) => entry.name)).toEqual(['handlers/update-learning.mjs']);
    const code = entries[0]?.content().toString('utf8') ?? '';
    expect(code.length).toBeGreaterThan(100_000);
    expect(code.includes('sourceMappingURL')).toBe(false);
    // Minified: a few very long lines (esbuild keeps the newlines inside template strings).
    expect(code.length / code.split('\n').length).toBeGreaterThan(2000);
  });

  it('routes PATCH /learnings/{learning_id} of an HTTP API to it, with default route throttling', () => {
    const routes = resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Route').map(
      (route) => route.Properties.RouteKey,
    );
    expect(routes).toEqual(['PATCH /learnings/{learning_id}']);
    const [stage] = resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties.DefaultRouteSettings).toEqual({
      DetailedMetricsEnabled: true,
      ThrottlingBurstLimit: 1000,
      ThrottlingRateLimit: 500,
    });
  });

  it('may call exactly UpdateItem and GetItem, on exactly the default table', () => {
    expect(dynamoDbStatements(standard.template)).toEqual([
      { Effect: 'Allow', Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'], Resource: [tableArn('agno_learnings')] },
    ]);
  });

  it('creates the table on demand, keyed by learning_id, with PITR, deletion protection and Retain', () => {
    const table = standard.template.Resources.LearningsTable;
    expect(table).toMatchObject({
      Type: 'AWS::DynamoDB::Table',
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
    });
    expect(table?.Properties).toMatchObject({
      TableName: 'agno_learnings',
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: 'learning_id', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'learning_id', AttributeType: 'S' }],
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      // The stack that made it: a redeploy after `sls remove` uses it again only then.
      Tags: [{ Key: 'agno-update-learning:stack', Value: 'agno-update-learning-prod' }],
    });
    expect(table).not.toHaveProperty('Condition');
    expect(standard.template.Conditions).toBeUndefined();
  });

  it('sets log retention and keeps identity settings out of the template (resolved from SSM at deploy time)', () => {
    const [logGroup] = resourcesOfType(standard.template, 'AWS::Logs::LogGroup');
    expect(logGroup?.Properties.RetentionInDays).toBe(365);
    const [fn] = resourcesOfType(standard.template, 'AWS::Lambda::Function');
    const variables =
      (fn?.Properties.Environment as { Variables: Record<string, string> } | undefined)?.Variables ?? {};
    expect(variables.JWT_JWKS_URL).toBe('{{resolve:ssm:/agno-update-learning/prod/jwt-jwks-url}}');
    expect(variables.JWT_VERIFICATION_KEY).toBe('');
    expect(variables.JWT_CLAIMS_FROM_API_GATEWAY).toBe('false');
  });
});

describe('CORS', () => {
  it('by default (prod): no CorsConfiguration, so no browser may call the API', () => {
    const [api] = resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Api');
    expect(api?.Properties.CorsConfiguration).toBeUndefined();
    expect(resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Route')).toHaveLength(1);
  });

  it('with corsAllowedOrigins: those origins, PATCH with its headers, ETag exposed, no credentials', () => {
    const [api] = resourcesOfType(existingTables.template, 'AWS::ApiGatewayV2::Api');
    expect(api?.Properties.CorsConfiguration).toEqual({
      AllowOrigins: ['https://admin.example.com', 'http://localhost:3001'],
      AllowMethods: ['PATCH'],
      AllowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'If-Match', 'If-None-Match'],
      ExposeHeaders: ['ETag', 'Idempotent-Replayed', 'Retry-After', 'WWW-Authenticate'],
      MaxAge: 600,
    });
  });
});

describe("API Gateway's JWT authorizer", () => {
  it('is absent by default: the route has no authorizer and the function verifies tokens', () => {
    expect(resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Authorizer')).toEqual([]);
    const [route] = resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Route');
    expect(route?.Properties.AuthorizerId).toBeUndefined();
  });

  it('with claimsFromApiGateway=true: a JWT authorizer on the route, with the issuer and audiences', () => {
    const [authorizer] = resourcesOfType(authorized.template, 'AWS::ApiGatewayV2::Authorizer');
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'JWT',
      IdentitySource: ['$request.header.Authorization'],
      JwtConfiguration: {
        Issuer: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Pool',
        Audience: ['client-one', 'client-two'],
      },
    });
    const [route] = resourcesOfType(authorized.template, 'AWS::ApiGatewayV2::Route');
    expect(route?.Properties).toMatchObject({ RouteKey: 'PATCH /learnings/{learning_id}', AuthorizationType: 'JWT' });
    expect(route?.Properties.AuthorizerId).toBeDefined();
    expect(fn(authorized.template)).toMatchObject({
      Environment: { Variables: expect.objectContaining({ JWT_CLAIMS_FROM_API_GATEWAY: 'true' }) },
    });
  });

  it('refuses at packaging what it cannot honour: non-RSA algorithms, keys given here, an issuer without https', () => {
    expect(authorizerRefusal).toBeDefined();
    // Each refusal as its own sentence, naming its param.
    for (const sentence of [
      'jwtAlgorithms has ES256, PS256: the authorizer verifies RSA signatures only (RS256, RS384, RS512)',
      'jwtVerificationKey',
      'jwtJwksUrl',
      'jwtJwksFile',
      'jwtIssuer must be an https URL',
    ]) {
      expect(authorizerRefusal).toContain(sentence);
    }
  });
});

describe('with an existing table and extra databases', () => {
  it('does not create a table, and may touch exactly the configured tables', () => {
    expect(resourcesOfType(existingTables.template, 'AWS::DynamoDB::Table')).toEqual([]);
    expect(existingTables.template.Conditions).toBeUndefined();
    expect(dynamoDbStatements(existingTables.template)).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:UpdateItem', 'dynamodb:GetItem'],
        Resource: [tableArn('team_learnings'), tableArn('analytics_learnings'), tableArn('archived_learnings')],
      },
    ]);
  });
});

const fn = (template: Template) => resourcesOfType(template, 'AWS::Lambda::Function')[0]?.Properties ?? {};
const alarms = (template: Template) =>
  Object.fromEntries(
    Object.entries(template.Resources).filter(([, resource]) => resource.Type === 'AWS::CloudWatch::Alarm'),
  );

describe('operations', () => {
  it("traces with X-Ray, logs in Lambda's JSON format at the configured level, and names the stage", () => {
    expect(fn(standard.template)).toMatchObject({
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
      Environment: { Variables: expect.objectContaining({ STAGE: 'prod' }) },
    });
    expect(fn(dev.template)).toMatchObject({ Environment: { Variables: expect.objectContaining({ STAGE: 'dev' }) } });
  });

  // A new account's concurrency quota may leave no room for a reservation (Lambda keeps 100 unreserved).
  it('reserves no concurrency unless reservedConcurrency is set, and then exactly that', () => {
    expect(fn(standard.template)).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(fn(dev.template)).not.toHaveProperty('ReservedConcurrentExecutions');
    expect(fn(existingTables.template).ReservedConcurrentExecutions).toBe(50);
  });

  it('writes API access logs carrying the integration (Lambda) request id, with per-route metrics', () => {
    const [stage] = resourcesOfType(standard.template, 'AWS::ApiGatewayV2::Stage');
    const access = stage?.Properties.AccessLogSettings as { Format: string; DestinationArn: unknown };
    expect(JSON.parse(access.Format)).toMatchObject({
      requestId: '$context.requestId',
      integrationRequestId: '$context.integration.requestId',
      status: '$context.status',
    });
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({ DetailedMetricsEnabled: true });
  });

  it('keeps the function and access log groups when the stack goes', () => {
    for (const name of ['UpdateLearningLogGroup', 'HttpApiLogGroup']) {
      expect(standard.template.Resources[name]).toMatchObject({
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
      });
    }
  });

  it('alarms on 5xx rate, Lambda errors, throttles, p99 duration, concurrency, DynamoDB throttles and errors, and 401/403 bursts', () => {
    const all = alarms(standard.template);
    expect(Object.keys(all).sort()).toEqual([
      'Api5xxRateAlarm',
      'AuthFailureBurstAlarm',
      'DynamoDbSystemErrorsAlarm',
      'DynamoDbThrottlesAlarm',
      'LambdaConcurrencyAlarm',
      'LambdaDurationAlarm',
      'LambdaErrorsAlarm',
      'LambdaThrottlesAlarm',
    ]);
    expect(all.LambdaDurationAlarm?.Properties).toMatchObject({ ExtendedStatistic: 'p99', Threshold: 8000 });
    expect(all.DynamoDbThrottlesAlarm?.Properties.Dimensions).toEqual([
      { Name: 'TableName', Value: 'agno_learnings' },
      { Name: 'Operation', Value: 'UpdateItem' },
    ]);
    const burst = JSON.stringify(all.AuthFailureBurstAlarm?.Properties.Metrics);
    for (const outcome of ['UNAUTHENTICATED', 'FORBIDDEN']) expect(burst).toContain(outcome);
    expect(burst).toContain('AgnoUpdateLearning');
  });

  it("follows the reservation: near it when there is one, else the function's share of the account's pool", () => {
    // Reserved (50): 80 % of it; throttles mean the reservation is reached.
    const reserved = alarms(existingTables.template);
    expect(reserved.LambdaConcurrencyAlarm?.Properties).toMatchObject({ Threshold: 40 });
    expect(reserved.LambdaConcurrencyAlarm?.Properties.AlarmDescription).toMatch(/reserved concurrency \(50\)/);
    expect(reserved.LambdaThrottlesAlarm?.Properties.AlarmDescription).toMatch(/reserved concurrency/);
    // Unreserved: as many concurrent executions as requests API Gateway admits per second (prod 500, dev 100).
    const unreserved = alarms(standard.template);
    expect(unreserved.LambdaConcurrencyAlarm?.Properties).toMatchObject({ Threshold: 500 });
    expect(alarms(dev.template).LambdaConcurrencyAlarm?.Properties).toMatchObject({ Threshold: 100 });
    expect(unreserved.LambdaConcurrencyAlarm?.Properties.AlarmDescription).toMatch(/account/);
    expect(unreserved.LambdaThrottlesAlarm?.Properties.AlarmDescription).toMatch(/account/);
  });

  it("reads the service's own metrics of the stage deployed, not those of every stage in the account", () => {
    for (const [template, stage] of [
      [standard.template, 'prod'],
      [dev.template, 'dev'],
    ] as const) {
      const metrics = alarms(template).AuthFailureBurstAlarm?.Properties.Metrics as {
        MetricStat?: { Metric: { Dimensions: { Name: string; Value: string }[] } };
      }[];
      const read = metrics.filter((metric) => metric.MetricStat !== undefined);
      expect(read).toHaveLength(2);
      for (const metric of read) {
        expect(metric.MetricStat?.Metric.Dimensions.map((dimension) => dimension.Name)).toEqual([
          'service',
          'stage',
          'outcome',
        ]);
        expect(metric.MetricStat?.Metric.Dimensions).toContainEqual({ Name: 'stage', Value: stage });
      }
    }
  });

  it('sends every alarm to the topic the stack creates (with the e-mail subscribed), or to the one given', () => {
    for (const alarm of Object.values(alarms(existingTables.template))) {
      expect(alarm.Properties.AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    }
    expect(existingTables.template.Resources.AlarmEmailSubscription?.Properties).toMatchObject({
      Protocol: 'email',
      Endpoint: 'oncall@example.com',
    });
    expect(standard.template.Resources.AlarmEmailSubscription).toBeUndefined();
    for (const alarm of Object.values(alarms(dev.template))) {
      expect(alarm.Properties.AlarmActions).toEqual(['arn:aws:sns:us-east-1:123456789012:oncall']);
    }
    expect(dev.template.Resources.AlarmTopic).toBeUndefined();
  });
});

// What each resource type of the templates needs of the deploying role: the calls CloudFormation makes with
// the caller's permissions to create, update and delete it (the handlers of the type's registry schema),
// and what API Gateway requires of whoever turns on an HTTP API's access logs. A type missing here fails
// the test below: its permissions must reach docs/operations.md's policy first.
const NEEDED_BY_TYPE: Record<string, string[]> = {
  'AWS::S3::Bucket': ['s3:CreateBucket', 's3:PutEncryptionConfiguration', 's3:DeleteBucket'],
  'AWS::S3::BucketPolicy': ['s3:PutBucketPolicy', 's3:GetBucketPolicy', 's3:DeleteBucketPolicy'],
  'AWS::Logs::LogGroup': ['logs:CreateLogGroup', 'logs:PutRetentionPolicy', 'logs:DescribeLogGroups'],
  'AWS::IAM::Role': ['iam:CreateRole', 'iam:GetRole', 'iam:PutRolePolicy', 'iam:DeleteRolePolicy', 'iam:DeleteRole'],
  'AWS::Lambda::Function': [
    'iam:PassRole',
    's3:GetObject',
    'lambda:CreateFunction',
    'lambda:GetFunction',
    'lambda:UpdateFunctionCode',
    'lambda:UpdateFunctionConfiguration',
    'lambda:PutFunctionConcurrency',
    'lambda:DeleteFunctionConcurrency',
    'lambda:DeleteFunction',
  ],
  'AWS::Lambda::Version': ['lambda:PublishVersion', 'lambda:ListVersionsByFunction'],
  'AWS::Lambda::Permission': ['lambda:AddPermission', 'lambda:GetPolicy', 'lambda:RemovePermission'],
  'AWS::ApiGatewayV2::Api': ['apigateway:POST', 'apigateway:GET', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGatewayV2::Stage': [
    'apigateway:POST',
    'apigateway:PATCH',
    'apigateway:DELETE',
    'logs:CreateLogDelivery',
    'logs:PutResourcePolicy',
    'logs:UpdateLogDelivery',
    'logs:DeleteLogDelivery',
    'logs:DescribeResourcePolicies',
    'logs:GetLogDelivery',
    'logs:ListLogDeliveries',
  ],
  'AWS::ApiGatewayV2::Integration': ['apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGatewayV2::Route': ['apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::ApiGatewayV2::Authorizer': ['apigateway:POST', 'apigateway:PATCH', 'apigateway:DELETE'],
  'AWS::DynamoDB::Table': [
    'dynamodb:CreateTable',
    // The table is created with its stack's tag (deploy/table.cjs).
    'dynamodb:TagResource',
    'dynamodb:DescribeTable',
    'dynamodb:UpdateTable',
    'dynamodb:UpdateContinuousBackups',
    'dynamodb:DescribeContinuousBackups',
  ],
  'AWS::SNS::Topic': ['sns:CreateTopic', 'sns:GetTopicAttributes', 'sns:DeleteTopic'],
  'AWS::SNS::Subscription': ['sns:Subscribe', 'sns:GetSubscriptionAttributes', 'sns:Unsubscribe'],
  'AWS::CloudWatch::Alarm': ['cloudwatch:PutMetricAlarm', 'cloudwatch:DescribeAlarms', 'cloudwatch:DeleteAlarms'],
};
// The serverless CLI's own calls for deploy, info and remove, and the deploy-time plugins' (deploy/).
const NEEDED_TO_DEPLOY = [
  'cloudformation:CreateChangeSet',
  'cloudformation:DescribeChangeSet',
  'cloudformation:ExecuteChangeSet',
  'cloudformation:DeleteChangeSet',
  'cloudformation:DescribeStacks',
  'cloudformation:DescribeStackEvents',
  'cloudformation:DescribeStackResource',
  'cloudformation:ListStackResources',
  'cloudformation:GetTemplate',
  'cloudformation:ValidateTemplate',
  'cloudformation:DeleteStack',
  's3:ListBucket',
  's3:PutObject',
  's3:DeleteObject',
  'ssm:GetParameters',
  'dynamodb:ListTagsOfResource',
];
// The retained data: neither a deploy nor a remove deletes it, and the role cannot.
const NEVER = ['dynamodb:DeleteTable', 'logs:DeleteLogGroup'];

describe("the deploying role's policy in docs/operations.md", () => {
  const docs = readFileSync('docs/operations.md', 'utf8');
  const section = docs.split('\n## ').find((part) => part.startsWith("The deploying role's permissions")) ?? '';
  const json = /```json\n([\s\S]*?)\n```/.exec(section)?.[1];
  const allows = (action: string) => {
    const policy = JSON.parse(json ?? '{}') as {
      Statement?: { Effect: string; Action: string | string[] }[];
    };
    return (policy.Statement ?? []).some(
      (statement) =>
        statement.Effect === 'Allow' &&
        [statement.Action].flat().some((granted) => new RegExp(`^${granted.replaceAll('*', '.*')}$`, 'i').test(action)),
    );
  };

  it('is an IAM policy document', () => {
    expect(json, "no JSON block under ## The deploying role's permissions").toBeDefined();
    expect(JSON.parse(json ?? '{}')).toMatchObject({ Version: '2012-10-17', Statement: expect.any(Array) });
  });

  it('allows what every resource type of the packaged templates needs, and what deploying calls', () => {
    const types = new Set(
      [standard, existingTables, dev, authorized].flatMap(({ template }) =>
        Object.values(template.Resources).map((resource) => resource.Type),
      ),
    );
    // The framework's first template, its deployment bucket: not in the update template.
    for (const type of ['AWS::S3::Bucket', 'AWS::S3::BucketPolicy']) types.add(type);
    for (const type of types) expect(Object.keys(NEEDED_BY_TYPE), `permissions for ${type}`).toContain(type);
    const needed = [...[...types].flatMap((type) => NEEDED_BY_TYPE[type] ?? []), ...NEEDED_TO_DEPLOY];
    expect(needed.filter((action) => !allows(action))).toEqual([]);
  });

  it('cannot delete the table or the log groups', () => {
    expect(NEVER.filter(allows)).toEqual([]);
  });
});

// AWS's CloudFormation linter, preinstalled where CI runs (python: pip install cfn-lint). REQUIRE_CFN_LINT=1
// (CI) makes a missing one a failure; elsewhere the check says how to get it and is left out.
const cfnLint = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;
if (!cfnLint) {
  if (process.env.REQUIRE_CFN_LINT === '1')
    throw new Error('REQUIRE_CFN_LINT=1 but cfn-lint is missing: pip install cfn-lint');
  console.warn('Note: cfn-lint is missing, so the templates are not linted here: pip install cfn-lint');
}

describe.runIf(cfnLint)("AWS's cfn-lint", () => {
  it.each([
    ['prod (defaults)', () => standard],
    ['prod (existing tables, CORS, alarm e-mail, reserved concurrency)', () => existingTables],
    ['dev (alarm topic given)', () => dev],
    ["prod (API Gateway's JWT authorizer)", () => authorized],
  ])('finds no error and no warning in the %s template', async (_name, stack) => {
    const file = join(work, `lint-${Math.random().toString(36).slice(2)}.json`);
    await writeFile(file, JSON.stringify(stack().template));
    const lint = spawnSync('cfn-lint', ['--format', 'parseable', file], { encoding: 'utf8' });
    // moto's CloudFormation (the deploy rehearsal) refuses a template cfn-lint warns about.
    const findings = lint.stdout.split('\n').filter((line) => /:[EW]\d{4}:/.test(line));
    expect(findings).toEqual([]);
    // Exit code bit 2: errors, bit 4: warnings (8: informational).
    expect((lint.status ?? 2) & 6).toBe(0);
  });
});
