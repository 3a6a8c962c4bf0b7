// LEARNINGS_DATABASES: JSON naming each db_id's tables, every name held to DynamoDB's rule.
import { ConfigError, parseAs, tableName } from './environment.ts';

/** db_id → its allowed table names, the first its default; empty when the variable is unset. */
export function parseDatabases(raw: string | undefined): Map<string, readonly string[]> {
  const name = 'LEARNINGS_DATABASES';
  const databases = new Map<string, readonly string[]>();
  if (raw === undefined) return databases;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    // parsed stays undefined: refused below, in the same words as any other text that is no object.
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError(name, 'must be a JSON object of db_id to an array of table names');
  }
  for (const [dbId, tables] of Object.entries(parsed)) {
    if (dbId === '') throw new ConfigError(name, 'has an empty db_id');
    if (!Array.isArray(tables) || tables.length === 0) {
      throw new ConfigError(name, `must map '${dbId}' to a non-empty array of table names`);
    }
    databases.set(
      dbId,
      tables.map((table: unknown) => parseAs(`${name} ('${dbId}')`, tableName, table)),
    );
  }
  return databases;
}
