import type { CfnElement } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/**
 * A construct that only groups code: the resources beneath it keep the logical IDs they would
 * have directly in their stack (a stack hides it with `logicalIdWithoutGroupings`). Moving a
 * resource into one therefore changes nothing CloudFormation sees: a new logical ID would
 * replace the resource (a new SNS topic needs its email subscription confirmed again, a new
 * dashboard has a new name). Two resources of one stack may not share an id across groupings;
 * synth refuses a duplicate logical ID.
 */
export class Grouping extends Construct {}

/**
 * For `Stack.allocateLogicalId`: the element as the stack's own logical ID scheme sees it, with
 * the `Grouping` scopes above it left out of its path.
 */
export const logicalIdWithoutGroupings = (element: CfnElement): CfnElement =>
  ({
    node: { scopes: element.node.scopes.filter((scope) => !(scope instanceof Grouping)) },
    stack: element.stack,
  }) as unknown as CfnElement;
