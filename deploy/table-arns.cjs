// The IAM resources of the function: the ARN of every table it may touch, the default table and each
// LEARNINGS_DATABASES table, built with CloudFormation pseudo parameters so packaging needs no credentials.
const arn = (table) => ({
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

module.exports.tableArns = async ({ resolveVariable }) => {
  const defaultTable = await resolveVariable('param:learningsTable');
  const databases = (await resolveVariable('param:learningsDatabases')) || '{}';
  let parsed;
  try {
    parsed = JSON.parse(databases);
  } catch {
    throw new Error(`learningsDatabases must be JSON: db_id → array of table names, got ${databases}`);
  }
  const tables = new Set([defaultTable, ...Object.values(parsed).flat()]);
  return [...tables].map(arn);
};
