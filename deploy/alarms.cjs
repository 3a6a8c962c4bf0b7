// Alarm settings computed from params at packaging time (CloudFormation cannot multiply a parameter, and
// a condition on a blank param makes a template cfn-lint cannot check).
// Concurrent executions at 80 % of the reserved concurrency: near the cap, requests start to be throttled.
module.exports.concurrencyAlarm = async ({ resolveVariable }) => {
  const reserved = Number(await resolveVariable('param:reservedConcurrency'));
  if (!Number.isInteger(reserved) || reserved < 1)
    throw new Error(`reservedConcurrency must be a whole number, got ${reserved}`);
  return Math.max(1, Math.floor(reserved * 0.8));
};

// Where alarms go: the topic given as alarmTopicArn, else the one the stack creates (AlarmTopic).
module.exports.alarmActions = async ({ resolveVariable }) => {
  const topicArn = String((await resolveVariable('param:alarmTopicArn')) ?? '').trim();
  return [topicArn === '' ? { Ref: 'AlarmTopic' } : topicArn];
};

// The SNS topic the stack creates when no alarmTopicArn is given, with alarmEmail subscribed when given;
// nothing otherwise. Decided at packaging time, so the template holds no condition on a blank param.
module.exports.alarmTopic = async ({ resolveVariable }) => {
  const topicArn = String((await resolveVariable('param:alarmTopicArn')) ?? '').trim();
  if (topicArn !== '') return { Resources: {} };
  const email = String((await resolveVariable('param:alarmEmail')) ?? '').trim();
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  const resources = {
    AlarmTopic: { Type: 'AWS::SNS::Topic', Properties: { TopicName: `${service}-${stage}-alarms` } },
  };
  if (email !== '') {
    resources.AlarmEmailSubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: { TopicArn: { Ref: 'AlarmTopic' }, Protocol: 'email', Endpoint: email },
    };
  }
  return { Resources: resources };
};
