// Loaded with `node --import ./forbid-sqlite.mjs e2e.mjs`: any import of better-sqlite3 throws,
// so the plain-Node run shows that a hub on PostgreSQL never loads the native SQLite module,
// although it is installed (and built) in the scratch project for the README's SQLite hub.
import { register } from 'node:module';

const hooks = `export async function resolve(specifier, context, next) {
  if (specifier === 'better-sqlite3') throw new Error('better-sqlite3 was imported by a hub on PostgreSQL');
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);
