export interface Template {
  Resources?: Record<string, { Type?: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  [key: string]: unknown;
}
export function ssmReferences(template: Template): string[];
export function resolveSsmReferences(template: Template, values: ReadonlyMap<string, string>): Template;
export interface ParameterReader {
  send(command: unknown): Promise<{
    Parameters?: { Name?: string; Selector?: string; Type?: string; Value?: string }[];
    InvalidParameters?: string[];
  }>;
}
export function readParameters(ssm: ParameterReader, names: string[]): Promise<Map<string, string>>;
