export interface Template {
  Resources: Record<
    string,
    { Type?: string; DeletionPolicy?: string; DependsOn?: string | string[]; Properties?: Record<string, unknown> }
  >;
  [key: string]: unknown;
}
export interface Retained {
  logicalId: string;
  type: string;
  name: string;
  properties: Record<string, unknown>;
}
export function retainedByName(template: Template): Retained[];
export function useExisting(template: Template, existing: { logicalId: string; name: string; arn: string }[]): Template;
export function checkTableFits(
  candidate: Retained,
  table: { KeySchema?: unknown[] },
  tags: { Key?: string; Value?: string }[],
  stackName: string,
): void;
