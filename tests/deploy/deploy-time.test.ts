// The deploy-time plugins' transforms of the packaged template: SSM references into values, the JWT
// authorizer's audiences split, and retained resources that exist already used rather than created. The
// deploy rehearsal (npm run deploy:rehearsal) runs both plugins against moto; API Gateway's authorizer,
// which moto does not create, is checked here.
import { describe, expect, it } from 'vitest';
import { checkTableFits, retainedByName, useExisting } from '../../deploy/retained-resources.cjs';
import { readParameters, resolveSsmReferences, ssmReferences } from '../../deploy/settings-from-ssm.cjs';

const ISSUER = '{{resolve:ssm:/agno-update-learning/prod/jwt-issuer}}';
const AUDIENCE = '{{resolve:ssm:/agno-update-learning/prod/jwt-audience}}';
const template = () => ({
  Resources: {
    Fn: {
      Type: 'AWS::Lambda::Function',
      Properties: { Environment: { Variables: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, OTHER: 'x' } } },
    },
    Authorizer: {
      Type: 'AWS::ApiGatewayV2::Authorizer',
      Properties: { JwtConfiguration: { Issuer: ISSUER, Audience: [AUDIENCE] } },
    },
  },
  Outputs: { Pinned: { Value: 'at {{resolve:ssm:/pinned:3}}' } },
});
const values = new Map([
  ['/agno-update-learning/prod/jwt-issuer', 'https://idp.example/'],
  ['/agno-update-learning/prod/jwt-audience', 'client-one, client-two,'],
  ['/pinned:3', 'three'],
]);

describe('settings from SSM', () => {
  it('finds each reference once, with its version when pinned', () => {
    expect(ssmReferences(template())).toEqual([
      '/agno-update-learning/prod/jwt-issuer',
      '/agno-update-learning/prod/jwt-audience',
      '/pinned:3',
    ]);
  });

  it("puts the values in the template, and the authorizer's comma-separated audience as its list", () => {
    const resolved = resolveSsmReferences(template(), values);
    expect(resolved.Resources?.Fn?.Properties).toEqual({
      Environment: {
        Variables: { JWT_ISSUER: 'https://idp.example/', JWT_AUDIENCE: 'client-one, client-two,', OTHER: 'x' },
      },
    });
    expect(resolved.Resources?.Authorizer?.Properties).toEqual({
      JwtConfiguration: { Issuer: 'https://idp.example/', Audience: ['client-one', 'client-two'] },
    });
    expect(resolved.Outputs).toEqual({ Pinned: { Value: 'at three' } });
  });

  it('refuses a reference without a value, and an authorizer issuer that is not https', () => {
    expect(() => resolveSsmReferences(template(), new Map())).toThrow(
      'SSM parameter /agno-update-learning/prod/jwt-issuer has no value',
    );
    const plain = new Map([...values, ['/agno-update-learning/prod/jwt-issuer', 'http://idp.example/']]);
    expect(() => resolveSsmReferences(template(), plain)).toThrow(/jwtIssuer must be an https URL/);
  });

  it('reads the parameters ten at a time; names the missing ones and refuses SecureStrings', async () => {
    const asked: string[][] = [];
    const ssm = {
      send: async (command: unknown) => {
        const names = (command as { input: { Names: string[] } }).input.Names;
        asked.push(names);
        return {
          Parameters: names
            .filter((name) => !name.startsWith('/missing'))
            .map((name) => {
              const [base, version] = name.split(':');
              return {
                Name: base,
                Selector: version === undefined ? undefined : `:${version}`,
                Type: 'String',
                Value: `value of ${name}`,
              };
            }),
          InvalidParameters: names.filter((name) => name.startsWith('/missing')),
        };
      },
    };
    const names = [...Array.from({ length: 11 }, (_, index) => `/p${index}`), '/pinned:3'];
    const read = await readParameters(ssm, names);
    expect(asked.map((batch) => batch.length)).toEqual([10, 2]);
    expect(read.get('/pinned:3')).toBe('value of /pinned:3');
    expect(read.get('/p10')).toBe('value of /p10');
    await expect(readParameters(ssm, ['/p1', '/missing/a'])).rejects.toThrow(
      'SSM parameters the stack reads: /missing/a does not exist',
    );
    const secure = { send: async () => ({ Parameters: [{ Name: '/s', Type: 'SecureString', Value: 'x' }] }) };
    await expect(readParameters(secure, ['/s'])).rejects.toThrow('/s is a SecureString');
  });
});

describe('retained resources that exist already', () => {
  const stack = () => ({
    Resources: {
      Table: {
        Type: 'AWS::DynamoDB::Table',
        DeletionPolicy: 'Retain',
        Properties: { TableName: 'agno_learnings', KeySchema: [] },
      },
      Scratch: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'scratch' } },
      FnLogGroup: {
        Type: 'AWS::Logs::LogGroup',
        DeletionPolicy: 'Retain',
        Properties: { LogGroupName: '/aws/lambda/f' },
      },
      ApiLogGroup: { Type: 'AWS::Logs::LogGroup', DeletionPolicy: 'Retain', Properties: { LogGroupName: '/aws/http' } },
      Fn: { Type: 'AWS::Lambda::Function', DependsOn: ['FnLogGroup', 'Role'], Properties: {} },
      Stage: {
        Type: 'AWS::ApiGatewayV2::Stage',
        DependsOn: 'ApiLogGroup',
        Properties: { AccessLogSettings: { DestinationArn: { 'Fn::GetAtt': ['ApiLogGroup', 'Arn'] } } },
      },
      Policy: {
        Type: 'AWS::IAM::Policy',
        Properties: { Resource: { 'Fn::GetAtt': 'Table.Arn' }, Name: { Ref: 'Table' } },
      },
    },
    Outputs: { TableName: { Value: { Ref: 'Table' } } },
  });

  it('are the retained resources with a fixed name', () => {
    expect(retainedByName(stack()).map((found) => [found.logicalId, found.name])).toEqual([
      ['Table', 'agno_learnings'],
      ['FnLogGroup', '/aws/lambda/f'],
      ['ApiLogGroup', '/aws/http'],
    ]);
  });

  it('leave the template; what referred to them names them and their ARN; DependsOn forgets them', () => {
    const used = useExisting(stack(), [
      { logicalId: 'Table', name: 'agno_learnings', arn: 'arn:table' },
      { logicalId: 'FnLogGroup', name: '/aws/lambda/f', arn: 'arn:fn-logs:*' },
      { logicalId: 'ApiLogGroup', name: '/aws/http', arn: 'arn:api-logs:*' },
    ]);
    expect(Object.keys(used.Resources)).toEqual(['Scratch', 'Fn', 'Stage', 'Policy']);
    expect(used.Resources.Fn).toEqual({ Type: 'AWS::Lambda::Function', DependsOn: ['Role'], Properties: {} });
    expect(used.Resources.Stage).toEqual({
      Type: 'AWS::ApiGatewayV2::Stage',
      Properties: { AccessLogSettings: { DestinationArn: 'arn:api-logs:*' } },
    });
    expect(used.Resources.Policy?.Properties).toEqual({ Resource: 'arn:table', Name: 'agno_learnings' });
    expect(used.Outputs).toEqual({ TableName: { Value: 'agno_learnings' } });
  });

  it("serve only if keyed as the template keys them and made by this very stack (never another stage's, never one no stack made)", () => {
    const [table] = retainedByName(stack());
    const candidate = {
      ...(table as NonNullable<typeof table>),
      properties: { KeySchema: [{ AttributeName: 'learning_id', KeyType: 'HASH' }] },
    };
    const keyed = { KeySchema: [{ AttributeName: 'learning_id', KeyType: 'HASH' }] };
    const madeBy = (stackName: string, key = 'agno-update-learning:stack') => [{ Key: key, Value: stackName }];
    for (const key of ['agno-update-learning:stack', 'aws:cloudformation:stack-name']) {
      expect(() =>
        checkTableFits(candidate, keyed, madeBy('agno-update-learning-prod', key), 'agno-update-learning-prod'),
      ).not.toThrow();
    }
    // A table no stack of this service made (by hand, from a backup, by another tool) is never taken over.
    expect(() => checkTableFits(candidate, keyed, [], 'agno-update-learning-prod')).toThrow(
      'The table agno_learnings was made by no stack of this service, not agno-update-learning-prod: to use it, deploy with --param="createTable=false"',
    );
    expect(() =>
      checkTableFits(candidate, keyed, madeBy('agno-update-learning-dev'), 'agno-update-learning-prod'),
    ).toThrow('The table agno_learnings was made by the stack agno-update-learning-dev, not agno-update-learning-prod');
    expect(() => checkTableFits(candidate, { KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }] }, [], 'x')).toThrow(
      /exists with the key .*"id".*, not the stack's/,
    );
  });

  it('refuse what cannot be said without the resource: another attribute, or Fn::Sub naming it', () => {
    const other = stack();
    other.Resources.Policy.Properties = { Resource: { 'Fn::GetAtt': ['Table', 'StreamArn'] } } as never;
    expect(() => useExisting(other, [{ logicalId: 'Table', name: 't', arn: 'a' }])).toThrow(
      'Table.StreamArn of an existing resource is not known here',
    );
    const sub = stack();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation's own substitution syntax
    sub.Resources.Policy.Properties = { Resource: { 'Fn::Sub': '${Table.Arn}/index/*' } } as never;
    expect(() => useExisting(sub, [{ logicalId: 'Table', name: 't', arn: 'a' }])).toThrow(/Fn::Sub refers to Table/);
  });
});
