export interface Template {
  Resources?: Record<string, { DependsOn?: string | string[]; Properties?: unknown; [key: string]: unknown }>;
}
export function dropImpliedDependencies(template: Template): void;
