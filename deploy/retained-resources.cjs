// A serverless plugin: at deploy time, a retained resource of the template with a fixed name (the table,
// the function's and the API's log groups) that already exists in the account but not in the stack is used
// as it is, not created again: it leaves the template, and what referred to it refers to it by name and ARN.
//
// Why: these resources have DeletionPolicy Retain, so they outlive `sls remove`, and they outlive a first
// deploy that failed and rolled back (CloudFormation keeps a retained resource that the rolled-back
// operation created). The next deploy would create them again under the same names and fail with "already
// exists" (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html).
// Using them instead never deletes data: the stack holds them no more, so no later stack operation can
// delete or replace them. Decided at deploy time, with the deploying credentials, because only then is the
// account known (the CI build job packages without credentials). docs/deploy.md says what a team does.
const { STACK_TAG } = require('./table.cjs');
const { createRequire } = require('node:module');
const { CloudFormationClient, paginateListStackResources } = require('@aws-sdk/client-cloudformation');
const { DescribeTableCommand, DynamoDBClient, ListTagsOfResourceCommand } = require('@aws-sdk/client-dynamodb');
// The serverless CLI's own dependency, not the project's.
const { CloudWatchLogsClient, DescribeLogGroupsCommand, PutRetentionPolicyCommand } = createRequire(
  require.resolve('osls/package.json'),
)('@aws-sdk/client-cloudwatch-logs');

// The resource types this plugin can find by name, and the property that names them.
const NAME_PROPERTY = { 'AWS::DynamoDB::Table': 'TableName', 'AWS::Logs::LogGroup': 'LogGroupName' };

/** The retained resources of the template that have a fixed name: { logicalId, type, name, properties }. */
function retainedByName(template) {
  return Object.entries(template.Resources ?? {}).flatMap(([logicalId, resource]) => {
    const property = NAME_PROPERTY[resource.Type];
    const name = resource.Properties?.[property];
    if (property === undefined || resource.DeletionPolicy !== 'Retain' || typeof name !== 'string') return [];
    return [{ logicalId, type: resource.Type, name, properties: resource.Properties }];
  });
}

/** `value` with every Ref and Fn::GetAtt of `logicalId` replaced by the existing resource's name and ARN. */
function replaceReferences(value, logicalId, existing) {
  if (Array.isArray(value)) return value.map((item) => replaceReferences(item, logicalId, existing));
  if (value === null || typeof value !== 'object') return value;
  if (value.Ref === logicalId) return existing.name;
  const getAtt = value['Fn::GetAtt'];
  if (getAtt !== undefined) {
    const [target, attribute] = Array.isArray(getAtt) ? getAtt : String(getAtt).split('.');
    if (target === logicalId) {
      if (attribute !== 'Arn') throw new Error(`${logicalId}.${attribute} of an existing resource is not known here`);
      return existing.arn;
    }
  }
  const sub = value['Fn::Sub'];
  if (JSON.stringify(sub ?? '').includes(`\${${logicalId}`)) {
    throw new Error(`Fn::Sub refers to ${logicalId}, which exists already and leaves the template`);
  }
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [key, replaceReferences(inner, logicalId, existing)]),
  );
}

/**
 * Takes each of `existing` ({ logicalId, name, arn }) out of the template: its resource, the DependsOn
 * entries naming it; its Ref and Fn::GetAtt Arn become its name and ARN.
 */
function useExisting(template, existing) {
  let result = template;
  for (const found of existing) {
    const { [found.logicalId]: _left, ...resources } = result.Resources;
    result = replaceReferences({ ...result, Resources: resources }, found.logicalId, found);
    for (const resource of Object.values(result.Resources)) {
      if (resource.DependsOn === undefined) continue;
      const kept = [resource.DependsOn].flat().filter((id) => id !== found.logicalId);
      if (kept.length === 0) delete resource.DependsOn;
      else resource.DependsOn = kept;
    }
  }
  return result;
}

/** The logical ids the stack holds now; none when it does not exist. */
async function heldByStack(cloudFormation, stackName) {
  const held = new Set();
  try {
    for await (const page of paginateListStackResources({ client: cloudFormation }, { StackName: stackName })) {
      for (const resource of page.StackResourceSummaries ?? []) {
        if (!['DELETE_COMPLETE', 'DELETE_SKIPPED'].includes(resource.ResourceStatus ?? '')) {
          held.add(resource.LogicalResourceId);
        }
      }
    }
  } catch (error) {
    if (!/does not exist/.test(String(error?.message))) throw error;
  }
  return held;
}

/**
 * Throws unless the existing table may serve this stack: keyed as the template keys it, and made by this
 * very stack, as its tag says (deploy/table.cjs; CloudFormation's own aws:cloudformation:stack-name tag is
 * taken too, for a table made before that tag). A table another stack made (another stage's), or no stack
 * (made by hand, restored from a backup, made by another tool), is never taken over silently: the table
 * name is the same for every stage, and using another stage's data would be worse than failing. Such a
 * table is used with createTable=false, or another table is named.
 */
function checkTableFits(candidate, table, tags, stackName) {
  const key = JSON.stringify(table.KeySchema ?? []);
  if (key !== JSON.stringify(candidate.properties.KeySchema)) {
    throw new Error(`The table ${candidate.name} exists with the key ${key}, not the stack's: name another table`);
  }
  const makers = tags
    .filter((tag) => tag.Key === STACK_TAG || tag.Key === 'aws:cloudformation:stack-name')
    .map((tag) => tag.Value);
  if (!makers.includes(stackName)) {
    const maker = makers.length === 0 ? 'no stack of this service' : `the stack ${makers[0]}`;
    throw new Error(
      `The table ${candidate.name} was made by ${maker}, not ${stackName}: to use it, deploy with --param="createTable=false"; otherwise name a table of this stage's own (--param="learningsTable=…")`,
    );
  }
}

/** The ARN of the table named so; undefined when there is none. Throws for a table that cannot serve. */
async function existingTable(dynamoDb, candidate, stackName) {
  let table;
  try {
    table = (await dynamoDb.send(new DescribeTableCommand({ TableName: candidate.name }))).Table;
  } catch (error) {
    if (error?.name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
  const tags = (await dynamoDb.send(new ListTagsOfResourceCommand({ ResourceArn: table?.TableArn }))).Tags ?? [];
  checkTableFits(candidate, table ?? {}, tags, stackName);
  return table?.TableArn;
}

/** The ARN of the log group named so; undefined when there is none. */
async function existingLogGroup(logs, candidate) {
  const answer = await logs.send(new DescribeLogGroupsCommand({ logGroupNamePrefix: candidate.name }));
  return answer.logGroups?.find((group) => group.logGroupName === candidate.name)?.arn;
}

class RetainedResources {
  constructor(serverless, _options, { log } = {}) {
    this.hooks = {
      'before:aws:deploy:deploy:createStack': async () => {
        const provider = serverless.getProvider('aws');
        const service = serverless.service.provider;
        const candidates = retainedByName(service.compiledCloudFormationTemplate);
        if (candidates.length === 0) return;
        const config = await provider.getAwsSdkV3Config();
        const stackName = provider.naming.getStackName();
        const held = await heldByStack(new CloudFormationClient(config), stackName);
        const dynamoDb = new DynamoDBClient(config);
        const logs = new CloudWatchLogsClient(config);
        const existing = [];
        for (const candidate of candidates) {
          if (held.has(candidate.logicalId)) continue;
          const arn =
            candidate.type === 'AWS::DynamoDB::Table'
              ? await existingTable(dynamoDb, candidate, stackName)
              : await existingLogGroup(logs, candidate);
          if (arn === undefined) continue;
          existing.push({ ...candidate, arn });
          // The retention the template asks for, set as the stack would have set it.
          if (candidate.type === 'AWS::Logs::LogGroup' && candidate.properties.RetentionInDays !== undefined) {
            await logs.send(
              new PutRetentionPolicyCommand({
                logGroupName: candidate.name,
                retentionInDays: Number(candidate.properties.RetentionInDays),
              }),
            );
          }
        }
        if (existing.length === 0) return;
        service.compiledCloudFormationTemplate = useExisting(service.compiledCloudFormationTemplate, existing);
        log?.notice(
          `Using what an earlier stack of this stage kept, not creating it again: ${existing.map((found) => found.name).join(', ')}`,
        );
      },
    };
  }
}

module.exports = RetainedResources;
module.exports.retainedByName = retainedByName;
module.exports.useExisting = useExisting;
module.exports.checkTableFits = checkTableFits;
