// The learnings table, in the template only when the stack is to create it (param createTable). Decided
// at packaging time rather than by a CloudFormation condition: a condition on a param known when packaging
// is a constant `Fn::Equals`, which cfn-lint warns about and CloudFormation validators refuse.
const { booleanParam } = require('./params.cjs');

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
        },
      },
    },
  };
};
