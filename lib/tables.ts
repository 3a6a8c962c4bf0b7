// Which table a request addresses. A table name from a request is used only when it is on the
// configured allow-list of the database the request names.
import type { Config } from './config.ts';
import { NotFoundError } from './errors.ts';

export function resolveTable(config: Config, dbId: string | undefined, table: string | undefined): string {
  if (dbId === undefined) return config.defaultTable;
  const tables = config.databases.get(dbId);
  if (tables === undefined) throw new NotFoundError(`No database found with id '${dbId}'`);
  if (table === undefined) return tables[0] ?? config.defaultTable;
  if (!tables.includes(table)) throw new NotFoundError(`No database with id '${dbId}' has table '${table}'`);
  return table;
}
