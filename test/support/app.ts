/** The application's AWS resources in the emulator (table, queues, topic) and Lambda-like invocation helpers. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSEvent } from 'aws-lambda';
import { endpoint, type TestAccount } from './aws.js';
import { createScanTable } from '../../scripts/scan-table.js';

export interface AppResources {
  table: string;
  queueUrl: string;
  topicArn: string;
  subscriberUrl: string;
  sqs: SQSClient;
}

export async function createAppResources(account: TestAccount, region: string, name: string): Promise<AppResources> {
  const aws = { region, endpoint: endpoint(), credentials: account.credentials };
  const table = `${name}-scans`;
  await createScanTable(new DynamoDBClient(aws), table);
  const sqs = new SQSClient(aws);
  const queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-units` }))).QueueUrl!;
  const subscriberUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `${name}-subscriber` }))).QueueUrl!;
  const sns = new SNSClient(aws);
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: `${name}-findings` }))).TopicArn!;
  const subscriberArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: subscriberUrl, AttributeNames: ['QueueArn'] })))
    .Attributes!.QueueArn!;
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'sqs', Endpoint: subscriberArn }));
  return { table, queueUrl, topicArn, subscriberUrl, sqs };
}

export const lambdaContext = (functionName: string): Context =>
  ({
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '512',
    awsRequestId: `req-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => 300_000,
  }) as unknown as Context;

/** Receive what is on a queue now, as an SQS Lambda event. */
export async function receiveAsEvent(sqs: SQSClient, queueUrl: string, max = 10): Promise<SQSEvent> {
  const got = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: max }));
  return {
    Records: (got.Messages ?? []).map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: { ApproximateReceiveCount: '1', SentTimestamp: '0', SenderId: 'x', ApproximateFirstReceiveTimestamp: '0' },
      messageAttributes: {},
      md5OfBody: '',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:units',
      awsRegion: 'eu-west-1',
    })),
  };
}
