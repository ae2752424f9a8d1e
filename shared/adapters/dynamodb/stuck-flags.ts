import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StuckFlagStore } from '../../ports/tip-ledger.js';
import { documentClient, isConditionFailure } from './common.js';
import type { TableNames } from './tables.js';

/** Stuck flags on the tip items themselves: read back by the ledger's `getTip` and listings. */
export const createDynamoStuckFlags = (
  client: DynamoDBClient,
  tables: Pick<TableNames, 'tips'>,
): StuckFlagStore => {
  const doc = documentClient(client);
  return {
    async flagStuck(tip, flag) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tables.tips,
            Key: { tipId: tip.tipId },
            UpdateExpression: 'SET stuck = :flag',
            // Only the attempt it was found on: a newer attempt or an ended tip is not stuck.
            ConditionExpression: '#state = :sending AND attempt = :attempt',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: {
              ':flag': flag,
              ':sending': 'SENDING',
              ':attempt': tip.attempt,
            },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },
  };
};
