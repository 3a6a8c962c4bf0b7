// Alarm settings computed from params at packaging time (CloudFormation cannot multiply a parameter, and
// a condition on a blank param makes a template cfn-lint cannot check). The concurrency alarms follow the
// reservation: deploy/concurrency.cjs.

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
