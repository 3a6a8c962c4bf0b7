// The learnings table, in the template only when the stack is to create it (param createTable). Decided
// at packaging time rather than by a CloudFormation condition: a condition on a param known when packaging
// is a constant `Fn::Equals`, which cfn-lint warns about and CloudFormation validators refuse.
const { booleanParam } = require('./params.cjs');

/** The tag that names the stack which made the table. */
const STACK_TAG = 'agno-update-learning:stack';
module.exports.STACK_TAG = STACK_TAG;

module.exports.learningsTable = async ({ resolveVariable }) => {
  if (!(await booleanParam(resolveVariable, 'createTable'))) return { Resources: {} };
  return {
    Resources: {
      LearningsTable: {
        Type: 'AWS::DynamoDB::Table',
        // The data outlives the stack: deleting or replacing the stack never deletes learnings.
        DeletionPolicy: 'Retain',
        UpdateReplacePolicy: 'Retain',
        Properties: {
          TableName: await resolveVariable('param:learningsTable'),
          BillingMode: 'PAY_PER_REQUEST',
          AttributeDefinitions: [{ AttributeName: 'learning_id', AttributeType: 'S' }],
          KeySchema: [{ AttributeName: 'learning_id', KeyType: 'HASH' }],
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          DeletionProtectionEnabled: true,
          SSESpecification: { SSEEnabled: true },
          // Which stack made the table: a later deploy of that stack, after `sls remove` or a failed first
          // create, uses the table again only when it carries this tag (deploy/retained-resources.cjs).
          Tags: [
            { Key: STACK_TAG, Value: `${await resolveVariable('self:service')}-${await resolveVariable('sls:stage')}` },
          ],
        },
      },
    },
  };
};
