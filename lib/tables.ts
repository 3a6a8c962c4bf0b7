// Which table a request addresses. A table name from a request is used only when it is on the
// configured allow-list of the database the request names.
import type { Config } from './config.ts';
import { NotFoundError } from './errors.ts';
import { etagScope } from './etag.ts';

/** A table a request may address, and the scope its entity tags name. */
export interface TableAddress {
  table: string;
  scope: string;
}

export type TableResolver = (dbId: string | undefined, table: string | undefined) => TableAddress;

/** Resolves a request's db_id and table. Every allowed table's scope is computed here, once, at init. */
export function tableResolver(config: Config): TableResolver {
  const address = (dbId: string | undefined, table: string): TableAddress => ({ table, scope: etagScope(dbId, table) });
  const defaultTable = address(undefined, config.defaultTable);
  // The configuration gives every database at least one table: its first is the database's default.
  const databases = new Map(
    Array.from(config.databases, ([dbId, tables]) => [dbId, tables.map((table) => address(dbId, table))] as const),
  );
  return (dbId, table) => {
    if (dbId === undefined) return defaultTable;
    const tables = databases.get(dbId);
    if (tables === undefined) throw new NotFoundError(`No database found with id '${dbId}'`);
    if (table === undefined) return tables[0] as TableAddress;
    const named = tables.find((allowed) => allowed.table === table);
    if (named === undefined) throw new NotFoundError(`No database with id '${dbId}' has table '${table}'`);
    return named;
  };
}
